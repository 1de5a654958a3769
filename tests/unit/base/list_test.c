/* Tests for base/list.h. */
#include <criterion/criterion.h>

#include "base/list.h"

struct item {
  int value;
  crpc_list link;
};

Test(list, keeps_insertion_order_and_pops_from_the_head) {
  crpc_list head;
  struct item items[3] = {{.value = 1}, {.value = 2}, {.value = 3}};
  crpc_list *node;
  int i;

  crpc_list_init(&head);
  cr_assert(crpc_list_is_empty(&head));
  for (i = 0; i < 3; i++)
    crpc_list_insert_tail(&head, &items[i].link);
  cr_assert_not(crpc_list_is_empty(&head));
  for (i = 0; i < 3; i++) {
    node = crpc_list_pop_head(&head);
    cr_assert_eq(crpc_container_of(node, struct item, link)->value, i + 1);
    cr_assert(crpc_list_is_empty(node), "popped node is self-linked");
  }
  cr_assert_null(crpc_list_pop_head(&head));
}

Test(list, removes_from_the_middle_and_tolerates_a_second_remove) {
  crpc_list head;
  struct item items[3] = {{.value = 1}, {.value = 2}, {.value = 3}};
  int i;

  crpc_list_init(&head);
  for (i = 0; i < 3; i++)
    crpc_list_insert_tail(&head, &items[i].link);
  crpc_list_remove(&items[1].link);
  crpc_list_remove(&items[1].link);
  cr_assert_eq(head.next, &items[0].link);
  cr_assert_eq(items[0].link.next, &items[2].link);
  cr_assert_eq(items[2].link.prev, &items[0].link);
  cr_assert_eq(head.prev, &items[2].link);
}
