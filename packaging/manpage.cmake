# Writes one manual page, gzip -9n compressed, from a program's --help with help2man.
# Run at build time by packaging/CMakeLists.txt:
#   cmake -DHELP2MAN=... -DGZIP=... -DPROGRAM=/path/to/exe -DNAME="one-line summary"
#         -DVERSION=0.1.0 -DINCLUDE=file.h2m -DEPOCH=seconds -DOUTPUT=out.1.gz -P manpage.cmake
# The program is run by its bare name (its folder first on PATH), so the page says
# "microfer [options]", not the build folder's path; the GUI runs on Qt's offscreen platform.
# --version-string keeps the build-dependent lines of --version (model path, checksum)
# out of the page, and SOURCE_DATE_EPOCH (the packaging changelog's date) makes its date
# reproducible.
foreach(var HELP2MAN GZIP PROGRAM NAME VERSION INCLUDE EPOCH OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "manpage.cmake: -D${var}=... is missing")
  endif()
endforeach()

get_filename_component(dir "${PROGRAM}" DIRECTORY)
get_filename_component(program "${PROGRAM}" NAME)
set(ENV{PATH} "${dir}:$ENV{PATH}")
set(ENV{QT_QPA_PLATFORM} offscreen)
set(ENV{OMP_WAIT_POLICY} PASSIVE)  # what the programs would re-exec themselves to set
set(ENV{LC_ALL} C.UTF-8)
set(ENV{SOURCE_DATE_EPOCH} "${EPOCH}")

string(REGEX REPLACE "\\.gz$" "" page "${OUTPUT}")
execute_process(
  COMMAND "${HELP2MAN}" --no-info --section=1 --locale=C.UTF-8 "--name=${NAME}"
          "--version-string=${VERSION}" "--include=${INCLUDE}" "--output=${page}" "${program}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man ${program} failed (${rc}): ${err}")
endif()
execute_process(COMMAND "${GZIP}" -9n -f "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip -9n ${page} failed (${rc})")
endif()
