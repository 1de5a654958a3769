/* tests/interop/interop_flags.c: see interop_flags.h. */
#include "interop_flags.h"

#include <stdlib.h>
#include <string.h>

const char *interop_flag(const char *arg, const char *name) {
  size_t len = strlen(name);

  if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, len) != 0)
    return NULL;
  arg += 2 + len;
  if (*arg == '\0')
    return arg;
  return *arg == '=' ? arg + 1 : NULL;
}

bool interop_flag_bool(const char *value, bool *out) {
  static const char *const yes[] = {"", "true", "1", "yes"};
  static const char *const no[] = {"false", "0", "no"};

  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(value, yes[i]) == 0) {
      *out = true;
      return true;
    }
  }
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    if (strcmp(value, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool interop_flag_port(const char *value, int *out) {
  char *end;
  long port = strtol(value, &end, 10);

  if (*value == '\0' || *end != '\0' || port < 0 || port > 65535)
    return false;
  *out = (int)port;
  return true;
}
