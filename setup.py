"""Builds the microfer Python module for pip (pyproject.toml): the extension comes from this
tree's CMake build (the microfer_python target), the shipped models go to
<prefix>/share/microfer/models, where the module looks first. Intermediate files stay under
build/ (ignored by git): nothing is written beside the sources."""
import glob
import os
import shutil
import subprocess
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.egg_info import egg_info

HERE = os.path.dirname(os.path.abspath(__file__))
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")


class CMakeBuild(build_ext):
    """Builds (or brings up to date) the CMake target and copies the module and its stub."""

    def run(self):
        build = os.environ.get("MICROFER_BUILD_DIR") or os.path.join(HERE, "build")
        if not os.path.isfile(os.path.join(build, "CMakeCache.txt")):
            build = os.path.join(HERE, "build", "pip-cmake")
            subprocess.check_call(["cmake", "-S", HERE, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                                   "-DMICROFER_BUILD_GUI=OFF", "-DMICROFER_BUILD_TESTS=OFF"])
        jobs = os.environ.get("MICROFER_JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", build, "--target", "microfer_python",
                               "-j", jobs])
        built = glob.glob(os.path.join(build, "python", "microfer" + SUFFIX))
        if not built:
            raise RuntimeError("microfer%s was not built in %s/python (does CMake find "
                               "Python 3 and pybind11? Debian: python3-dev pybind11-dev)"
                               % (SUFFIX, build))
        target = self.get_ext_fullpath("microfer")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(built[0], target)
        shutil.copy2(os.path.join(HERE, "python", "microfer.pyi"),
                     os.path.join(os.path.dirname(target), "microfer.pyi"))


class EggInfoInBuild(egg_info):
    def initialize_options(self):
        super().initialize_options()
        self.egg_base = os.path.relpath(os.path.join(HERE, "build", "pip"), HERE)
        os.makedirs(self.egg_base, exist_ok=True)


def models():
    """(folder, files) pairs: the default model, the others that ship, the detectors."""
    with open(os.path.join(HERE, "models", "SHIPPED"), encoding="utf-8") as f:  # the one list
        shipped = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    out = [("share/microfer/models", ["models/" + name for name in shipped])]
    for sub in ("yunet", "mtcnn"):
        files = sorted(f for f in glob.glob("models/%s/*" % sub) if os.path.isfile(f))
        out.append(("share/microfer/models/" + sub, files))
    return out


setup(
    ext_modules=[Extension("microfer", sources=[])],
    cmdclass={"build_ext": CMakeBuild, "egg_info": EggInfoInBuild},
    data_files=models(),
    options={"build": {"build_base": "build/pip"}, "bdist_wheel": {"bdist_dir": "build/pip/wheel"}},
    zip_safe=False,
)
