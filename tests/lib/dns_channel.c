/*
 * tests/lib/dns_channel.c: channels to names the test DNS server answers.
 * Its own file so that programs using only dnsmasq need not link librpc.
 */
#include <stdio.h>

#include "dns.h"

crpc_code test_dns_channel_new(crpc_channel **out, const test_dns *dns,
                               const char *name_port, const char *policy,
                               const char *config, crpc_status *why) {
  crpc_channel_opts *opts;
  char target[256];
  crpc_code code;

  snprintf(target, sizeof(target), "dns://127.0.0.1:%d/%s", dns->port,
           name_port);
  if ((code = crpc_channel_opts_new(&opts)) != CRPC_OK)
    return crpc_status_set(why, code, "no memory");
  crpc_channel_opts_set_min_resolution_interval_ms(opts, 100);
  crpc_channel_opts_set_connect_backoff(opts, 100, 1000);
  if ((code = crpc_channel_opts_set_lb_policy(opts, policy)) != CRPC_OK)
    crpc_status_set(why, code, "bad policy %s", policy);
  else if (config != NULL)
    code = crpc_channel_opts_set_service_config(opts, config, why);
  if (code == CRPC_OK &&
      (code = crpc_channel_new(out, target, opts)) != CRPC_OK)
    crpc_status_set(why, code, "bad target %s", target);
  crpc_channel_opts_free(opts);
  return code;
}
