/*
 * examples/user-order/cli/order_cli.c: order-cli, a command-line client of
 * order-service (and, for looking around, of user-service and
 * product-service).
 *
 *   order-cli [--target TARGET] [--timeout-ms N]
 *             [--plaintext | --tls-dir DIR] COMMAND
 *     create --user ID --item PRODUCT:QTY [--item ...] [--request-id ID]
 *     get ORDER_ID
 *     list --user ID                  (a server-streaming call)
 *     products [--products TARGET] ID...
 *     users [--users TARGET]
 *
 * Exit status: 0 success; 1 the call failed for good (NOT_FOUND,
 * FAILED_PRECONDITION, ...); 3 the call failed in a way worth retrying
 * (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED): for `create`, retry with the
 * same --request-id and no order is placed twice; 2 bad usage. Errors are
 * one line on stderr: "error: user 42 not found (NOT_FOUND)".
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "orders.crpc.h"
#include "orders.pb-c.h"
#include "products.crpc.h"
#include "products.pb-c.h"
#include "users.crpc.h"
#include "users.pb-c.h"

#define NAME "order-cli"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_RETRY 3

typedef Userorder__Orders__V1__Order Order;
typedef Userorder__Orders__V1__OrderLine OrderLine;

struct cli {
  const char *target;
  int64_t timeout_ms;
  struct uo_security security;
  crpc_channel *channel;
  crpc_call_opts *opts;
  int64_t start; /* when the call started, for DEADLINE_EXCEEDED */
};

static void usage(FILE *out) {
  fprintf(out, "usage: " NAME " [--target TARGET] [--timeout-ms N] "
               "[--plaintext | --tls-dir DIR] COMMAND\n"
               "  create --user ID --item PRODUCT:QTY [--item ...] "
               "[--request-id ID]\n"
               "  get ORDER_ID\n"
               "  list --user ID\n"
               "  products [--products TARGET] ID...\n"
               "  users [--users TARGET]\n"
               "  --target       order-service (default 127.0.0.1:7003)\n"
               "  --timeout-ms   deadline of each call (default 5000)\n"
               "  --plaintext    no TLS, for local debugging\n"
               "  --tls-dir DIR  mTLS with DIR/ca.pem, DIR/" NAME ".pem and\n"
               "                 DIR/" NAME
               "-key.pem (default " UO_TLS_DIR_DEFAULT ")\n"
               "TARGETs are crpc targets: 127.0.0.1:7003, "
               "dns://127.0.0.1:5353/orders.svc.test:7003, ...\n"
               "exit status: 0 ok, 1 failed, 2 usage, 3 failed but worth "
               "retrying\n");
}

static bool is_transient(crpc_code code) {
  return code == CRPC_UNAVAILABLE || code == CRPC_DEADLINE_EXCEEDED ||
         code == CRPC_ABORTED;
}

/* Prints the failed call's status; returns the exit status. */
static int report(struct cli *cli, crpc_code code, const crpc_status *status) {
  if (code == CRPC_DEADLINE_EXCEEDED)
    fprintf(stderr, "error: %s (%s) after %" PRId64 " ms\n", status->message,
            crpc_code_name(code), crpc_now_ms() - cli->start);
  else
    fprintf(stderr, "error: %s (%s)\n", status->message, crpc_code_name(code));
  return is_transient(code) ? EXIT_RETRY : EXIT_FAILED;
}

static int connect_to(struct cli *cli, const char *target) {
  if (uo_channel_new(&cli->channel, NAME, target, &cli->security, NULL) !=
      CRPC_OK)
    return -1;
  if (crpc_call_opts_new(&cli->opts) != CRPC_OK)
    return -1;
  crpc_call_opts_set_timeout_ms(cli->opts, cli->timeout_ms);
  cli->start = crpc_now_ms();
  return 0;
}

static const char *state_name(Userorder__Orders__V1__OrderState state) {
  switch (state) {
  case USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_PENDING:
    return "PENDING";
  case USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_CONFIRMED:
    return "CONFIRMED";
  case USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_FAILED:
    return "FAILED";
  default:
    return "UNSPECIFIED";
  }
}

static void print_order(const Order *order) {
  char price[64], total[64];
  size_t i;

  printf("order %" PRId64 "  %s  user %" PRId64 " (%s)  request %s\n",
         order->id, state_name(order->state), order->user_id, order->user_name,
         order->request_id);
  for (i = 0; i < order->n_lines; i++) {
    const OrderLine *line = order->lines[i];
    printf("  %3d x %-24s #%-3" PRId64 " %12s %12s\n", (int)line->quantity,
           line->product_name, line->product_id,
           uo_format_money(price, sizeof(price), line->unit_price_minor,
                           order->currency),
           uo_format_money(total, sizeof(total), line->line_total_minor,
                           order->currency));
  }
  printf("  total %s\n", uo_format_money(total, sizeof(total),
                                         order->total_minor, order->currency));
  if (order->failure[0] != '\0')
    printf("  failure: %s\n", order->failure);
}

/* "3:2" into a line for product 3, quantity 2. */
static int parse_item(const char *s, OrderLine *line) {
  char id[32];
  const char *colon = strchr(s, ':');
  int64_t quantity;

  if (colon == NULL || (size_t)(colon - s) >= sizeof(id))
    return -1;
  memcpy(id, s, (size_t)(colon - s));
  id[colon - s] = '\0';
  if (uo_parse_int64(id, 1, INT64_MAX, &line->product_id) != 0 ||
      uo_parse_int64(colon + 1, 1, 1000000, &quantity) != 0)
    return -1;
  line->quantity = (int32_t)quantity;
  return 0;
}

static int cmd_create(struct cli *cli, int argc, char **argv) {
  static const struct option options[] = {
      {"user", required_argument, NULL, 'u'},
      {"item", required_argument, NULL, 'i'},
      {"request-id", required_argument, NULL, 'r'},
      {NULL, 0, NULL, 0}};
  Userorder__Orders__V1__CreateOrderRequest request =
      USERORDER__ORDERS__V1__CREATE_ORDER_REQUEST__INIT;
  OrderLine lines[64], *line_ptrs[64];
  char request_id[64];
  Order *order;
  crpc_status status;
  crpc_code code;
  int opt;

  snprintf(request_id, sizeof(request_id), "cli-%" PRId64 "-%ld", uo_unix_ms(),
           (long)getpid());
  request.request_id = request_id;
  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    switch (opt) {
    case 'u':
      if (uo_parse_int64(optarg, 0, INT64_MAX, &request.user_id) != 0)
        goto bad;
      break;
    case 'i':
      if (request.n_lines == 64)
        goto bad;
      userorder__orders__v1__order_line__init(&lines[request.n_lines]);
      if (parse_item(optarg, &lines[request.n_lines]) != 0) {
        fprintf(stderr, NAME ": --item wants PRODUCT:QTY, got '%s'\n", optarg);
        return EXIT_USAGE;
      }
      line_ptrs[request.n_lines] = &lines[request.n_lines];
      request.n_lines++;
      break;
    case 'r':
      request.request_id = optarg;
      break;
    default:
      goto bad;
    }
  }
  if (optind != argc || request.user_id == 0 || request.n_lines == 0)
    goto bad;
  request.lines = line_ptrs;

  if (connect_to(cli, cli->target) != 0)
    return EXIT_FAILED;
  code = userorder__orders__v1__order_service__create_order__call(
      cli->channel, &request, &order, cli->opts, &status);
  if (code != CRPC_OK) {
    int exit_status = report(cli, code, &status);
    if (exit_status == EXIT_RETRY)
      fprintf(stderr, "hint: safe to retry with --request-id %s\n",
              request.request_id);
    return exit_status;
  }
  print_order(order);
  userorder__orders__v1__order__free_unpacked(order, NULL);
  return 0;

bad:
  fprintf(stderr, "usage: " NAME " create --user ID --item PRODUCT:QTY "
                  "[--item ...] [--request-id ID]\n");
  return EXIT_USAGE;
}

static int cmd_get(struct cli *cli, int argc, char **argv) {
  Userorder__Orders__V1__GetOrderRequest request =
      USERORDER__ORDERS__V1__GET_ORDER_REQUEST__INIT;
  crpc_status status;
  crpc_code code;
  Order *order;

  if (argc != 2 || uo_parse_int64(argv[1], 0, INT64_MAX, &request.id) != 0) {
    fprintf(stderr, "usage: " NAME " get ORDER_ID\n");
    return EXIT_USAGE;
  }
  if (connect_to(cli, cli->target) != 0)
    return EXIT_FAILED;
  code = userorder__orders__v1__order_service__get_order__call(
      cli->channel, &request, &order, cli->opts, &status);
  if (code != CRPC_OK)
    return report(cli, code, &status);
  print_order(order);
  userorder__orders__v1__order__free_unpacked(order, NULL);
  return 0;
}

static int cmd_list(struct cli *cli, int argc, char **argv) {
  static const struct option options[] = {
      {"user", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0}};
  Userorder__Orders__V1__ListOrdersRequest request =
      USERORDER__ORDERS__V1__LIST_ORDERS_REQUEST__INIT;
  crpc_call *call = NULL;
  crpc_status status;
  crpc_code code;
  Order *order;
  char total[64];
  int opt, count = 0;

  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    if (opt != 'u' ||
        uo_parse_int64(optarg, 0, INT64_MAX, &request.user_id) != 0) {
      fprintf(stderr, "usage: " NAME " list --user ID\n");
      return EXIT_USAGE;
    }
  }
  if (optind != argc || request.user_id == 0) {
    fprintf(stderr, "usage: " NAME " list --user ID\n");
    return EXIT_USAGE;
  }
  if (connect_to(cli, cli->target) != 0)
    return EXIT_FAILED;
  code = userorder__orders__v1__order_service__list_orders__start(
      cli->channel, &request, cli->opts, &call);
  if (code != CRPC_OK) {
    crpc_status_set(&status, code, "cannot start the call");
    return report(cli, code, &status);
  }
  /* One message per order, printed as it arrives. */
  while (userorder__orders__v1__order_service__list_orders__recv(
             call, &order) == CRPC_OK &&
         order != NULL) {
    printf("order %-4" PRId64 " %-9s %2zu line(s)  %12s  request %s\n",
           order->id, state_name(order->state), order->n_lines,
           uo_format_money(total, sizeof(total), order->total_minor,
                           order->currency),
           order->request_id);
    count++;
    userorder__orders__v1__order__free_unpacked(order, NULL);
  }
  code = crpc_call_finish(call, &status);
  crpc_call_free(call);
  if (code != CRPC_OK)
    return report(cli, code, &status);
  printf("%d order(s) for user %" PRId64 "\n", count, request.user_id);
  return 0;
}

static int cmd_products(struct cli *cli, int argc, char **argv) {
  static const struct option options[] = {
      {"products", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
  Userorder__Products__V1__BatchGetProductsRequest request =
      USERORDER__PRODUCTS__V1__BATCH_GET_PRODUCTS_REQUEST__INIT;
  Userorder__Products__V1__BatchGetProductsResponse *reply;
  const char *target = "127.0.0.1:7002";
  int64_t ids[64];
  char price[64];
  crpc_status status;
  crpc_code code;
  size_t i;
  int opt;

  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    if (opt != 'p')
      goto bad;
    target = optarg;
  }
  for (; optind < argc && request.n_ids < 64; optind++)
    if (uo_parse_int64(argv[optind], 1, INT64_MAX, &ids[request.n_ids++]) != 0)
      goto bad;
  if (optind != argc || request.n_ids == 0)
    goto bad;
  request.ids = ids;
  if (connect_to(cli, target) != 0)
    return EXIT_FAILED;
  code = userorder__products__v1__product_service__batch_get_products__call(
      cli->channel, &request, &reply, cli->opts, &status);
  if (code != CRPC_OK)
    return report(cli, code, &status);
  for (i = 0; i < reply->n_products; i++) {
    const Userorder__Products__V1__Product *p = reply->products[i];
    printf("product %-3" PRId64 " %-24s %12s  stock %" PRId64 "\n", p->id,
           p->name,
           uo_format_money(price, sizeof(price), p->price_minor, p->currency),
           p->stock);
  }
  userorder__products__v1__batch_get_products_response__free_unpacked(reply,
                                                                      NULL);
  return 0;

bad:
  fprintf(stderr, "usage: " NAME " products [--products TARGET] ID...\n");
  return EXIT_USAGE;
}

static int cmd_users(struct cli *cli, int argc, char **argv) {
  static const struct option options[] = {
      {"users", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0}};
  Userorder__Users__V1__ListUsersRequest request =
      USERORDER__USERS__V1__LIST_USERS_REQUEST__INIT;
  Userorder__Users__V1__ListUsersResponse *reply;
  const char *target = "127.0.0.1:7001";
  crpc_status status;
  crpc_code code;
  size_t i;
  int opt;

  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    if (opt != 'u') {
      fprintf(stderr, "usage: " NAME " users [--users TARGET]\n");
      return EXIT_USAGE;
    }
    target = optarg;
  }
  if (connect_to(cli, target) != 0)
    return EXIT_FAILED;
  code = userorder__users__v1__user_service__list_users__call(
      cli->channel, &request, &reply, cli->opts, &status);
  if (code != CRPC_OK)
    return report(cli, code, &status);
  for (i = 0; i < reply->n_users; i++)
    printf("user %-3" PRId64 " %-20s %s\n", reply->users[i]->id,
           reply->users[i]->name, reply->users[i]->email);
  userorder__users__v1__list_users_response__free_unpacked(reply, NULL);
  return 0;
}

int main(int argc, char **argv) {
  /* "+": stop at the command; its own options are parsed after it. */
  static const struct option options[] = {
      {"target", required_argument, NULL, 't'},
      {"timeout-ms", required_argument, NULL, 'm'},
      {"plaintext", no_argument, NULL, 'P'},
      {"tls-dir", required_argument, NULL, 'T'},
      {"help", no_argument, NULL, 'H'},
      {NULL, 0, NULL, 0}};
  struct cli cli = {.target = "127.0.0.1:7003",
                    .timeout_ms = 5000,
                    .security = {.tls_dir = UO_TLS_DIR_DEFAULT}};
  const char *command;
  int opt, status;

  while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
    switch (opt) {
    case 't':
      cli.target = optarg;
      break;
    case 'm':
      if (uo_parse_int64(optarg, 1, 3600000, &cli.timeout_ms) != 0) {
        fprintf(stderr, NAME ": bad timeout '%s'\n", optarg);
        return EXIT_USAGE;
      }
      break;
    case 'P':
      cli.security.is_plaintext = true;
      break;
    case 'T':
      cli.security.tls_dir = optarg;
      break;
    case 'H':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (optind == argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (uo_security_check(NAME, &cli.security) != 0)
    return EXIT_USAGE;
  command = argv[optind];
  argc -= optind;
  argv += optind;
  optind = 1; /* parse the command's own options from argv[1] */

  if (strcmp(command, "create") == 0)
    status = cmd_create(&cli, argc, argv);
  else if (strcmp(command, "get") == 0)
    status = cmd_get(&cli, argc, argv);
  else if (strcmp(command, "list") == 0)
    status = cmd_list(&cli, argc, argv);
  else if (strcmp(command, "products") == 0)
    status = cmd_products(&cli, argc, argv);
  else if (strcmp(command, "users") == 0)
    status = cmd_users(&cli, argc, argv);
  else {
    fprintf(stderr, NAME ": unknown command '%s'\n", command);
    usage(stderr);
    status = EXIT_USAGE;
  }
  crpc_call_opts_free(cli.opts);
  crpc_channel_free(cli.channel);
  return status;
}
