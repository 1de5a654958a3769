/*
 * tests/fuzz/target.c: target names (channel/target.h), as users pass
 * them to crpc_channel_new.
 *
 * The input is the target text (cut at its first NUL, as a C string would
 * be). On success every string field is NUL-terminated inside its array and
 * the addresses agree with the scheme; on failure the status says
 * INVALID_ARGUMENT with a message.
 */
#include <string.h>
#include <sys/un.h>

#include "channel/target.h"
#include "fuzz.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  crpc_target *t = malloc(sizeof(*t));
  crpc_status why = {CRPC_OK, ""};
  crpc_code rc;

  FUZZ_CHECK(text != NULL && t != NULL);
  memcpy(text, data, size);
  text[size] = '\0';
  rc = crpc_target_parse(text, t, &why);
  if (rc != CRPC_OK) {
    FUZZ_CHECK(rc == CRPC_INVALID_ARGUMENT && why.code == rc);
    FUZZ_CHECK(why.message[0] != '\0' && TERMINATED(why.message));
  } else {
    FUZZ_CHECK(TERMINATED(t->dns_server) && TERMINATED(t->host));
    FUZZ_CHECK(TERMINATED(t->port) && TERMINATED(t->authority));
    FUZZ_CHECK(t->addr_count <= CRPC_TARGET_MAX_ADDRS);
    switch (t->scheme) {
    case CRPC_TARGET_DNS:
      FUZZ_CHECK(t->addr_count == 0 && t->host[0] != '\0');
      FUZZ_CHECK(t->port[0] != '\0' &&
                 strspn(t->port, "0123456789") == strlen(t->port));
      break;
    case CRPC_TARGET_IPV4:
    case CRPC_TARGET_IPV6:
      FUZZ_CHECK(t->addr_count >= 1 && t->authority[0] != '\0');
      for (size_t i = 0; i < t->addr_count; i++)
        FUZZ_CHECK(t->addrs[i].ss.ss_family ==
                   (t->scheme == CRPC_TARGET_IPV4 ? AF_INET : AF_INET6));
      break;
    case CRPC_TARGET_UNIX:
      FUZZ_CHECK(t->addr_count == 1 && t->addrs[0].ss.ss_family == AF_UNIX);
      FUZZ_CHECK(t->addrs[0].len <= sizeof(struct sockaddr_un));
      break;
    default:
      FUZZ_CHECK(!"unknown scheme");
    }
  }
  free(t);
  free(text);
  return 0;
}
