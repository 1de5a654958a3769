// Flags of the C++ interop programs: --name=value, booleans also bare
// (--use_tls), as the other interop programs take them (doc/interop.md).
#ifndef CRPC_INTEROP_CPP_FLAGS_H
#define CRPC_INTEROP_CPP_FLAGS_H

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace interop {

class Flags {
 public:
  void Define(const std::string& name, const std::string& value) {
    values_[name] = value;
  }
  void DefineBool(const std::string& name) {
    values_[name] = "false";
    bools_[name] = true;
  }

  void Parse(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
      std::string arg = argv[i];
      if (arg.compare(0, 2, "--") != 0) Usage("unknown argument " + arg);
      size_t eq = arg.find('=');
      std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
      if (values_.count(name) == 0) Usage("unknown argument " + arg);
      if (eq == std::string::npos) {
        if (!bools_.count(name)) Usage("--" + name + " needs a value");
        values_[name] = "true";
      } else {
        values_[name] = arg.substr(eq + 1);
        if (bools_.count(name)) GetBool(name);  // validates
      }
    }
  }

  const std::string& Get(const std::string& name) { return values_[name]; }

  int GetInt(const std::string& name) {
    const std::string& text = values_[name];
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0 || value > 65535) {
      Usage("--" + name + ": not a port number: " + text);
    }
    return static_cast<int>(value);
  }

  bool GetBool(const std::string& name) {
    const std::string& v = values_[name];
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    Usage("--" + name + ": not a boolean: " + v);
    return false;
  }

  [[noreturn]] void Usage(const std::string& message) {
    std::cerr << message << "\n";
    std::exit(2);
  }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> bools_;
};

}  // namespace interop

#endif
