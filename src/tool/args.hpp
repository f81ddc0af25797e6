// A small command-line parser for MicroFER's programs (microfer-cli, microfer-train,
// microfer-bench, microfer-train-device): "--name value", "--name=value", "--flag",
// positionals. Header only and free of every library but the standard one, so that
// microfer-train-device's standalone build (LibTorch alone, src/device/CMakeLists.txt)
// shares it.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace microfer::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// A first word that is no command of the tool (its help lists them).
struct UnknownCommand : UsageError {
  using UsageError::UsageError;
};

/// Where Args announces an option given twice. toolMain (microfer-cli, -train, -bench) routes
/// it to the program's log; unset, it is written to stderr as "warning: MESSAGE".
inline std::function<void(const std::string&)>& argsWarningSink() {
  static std::function<void(const std::string&)> sink;
  return sink;
}

class Args {
 public:
  /// `flags` take no value; `options` take one value (given twice, the last value is used and
  /// a warning names both). Anything else starting with "--" is a usage error.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
       const std::set<std::string>& options) {
    for (size_t i = 0; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a == "-h" && flags.count("help")) {  // the short form, on every command
        flags_.insert("help");
        continue;
      }
      if (a == "-v" && flags.count("verbose")) {  // toolMain reads it too
        flags_.insert("verbose");
        continue;
      }
      if (a.rfind("--", 0) == 0 && a.size() > 2) {
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        if (eq != std::string::npos) {
          value = name.substr(eq + 1);
          name.resize(eq);
        }
        if (flags.count(name)) {
          // "--cpu=0" must not force what it seems to deny.
          if (eq != std::string::npos) throw UsageError("option --" + name + " takes no value");
          flags_.insert(name);
        } else if (options.count(name)) {
          if (eq == std::string::npos) {
            if (i + 1 >= argv.size()) throw UsageError("option --" + name + " needs a value");
            value = argv[++i];
          }
          // The last value wins (a script's fixed options, then the caller's overrides, as
          // scripts/train-v2.sh passes them), never silently: two values are announced.
          auto [it, inserted] = values_.emplace(name, value);
          if (!inserted && it->second != value) {
            const std::string message = "option --" + name + " given twice ('" + it->second +
                                        "', then '" + value + "'): '" + value + "' is used";
            if (argsWarningSink()) argsWarningSink()(message);
            else std::fprintf(stderr, "warning: %s\n", message.c_str());
            it->second = value;
          }
        } else {
          throw UsageError("unknown option --" + name);
        }
      } else {
        positional_.push_back(a);
      }
    }
  }
  bool flag(const std::string& n) const { return flags_.count(n) > 0; }
  bool has(const std::string& n) const { return values_.count(n) > 0; }
  std::string get(const std::string& n, const std::string& def = "") const {
    auto it = values_.find(n);
    return it == values_.end() ? def : it->second;
  }
  int getInt(const std::string& n, int def) const {
    if (!has(n)) return def;
    try {
      size_t used = 0;
      const int v = std::stoi(get(n), &used);
      if (used == get(n).size()) return v;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + n + " expects an integer, got '" + get(n) + "'");
  }
  double getDouble(const std::string& n, double def) const {
    if (!has(n)) return def;
    try {
      size_t used = 0;
      const double v = std::stod(get(n), &used);
      if (used == get(n).size()) return v;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + n + " expects a number, got '" + get(n) + "'");
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace microfer::cli
