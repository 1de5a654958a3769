/*
 * protoc-gen-crpc/names.h: C names for .proto names.
 *
 * The conversions are protobuf-c's (protoc-c/c_helpers.cc), character for
 * character, so that the names we emit line up with the ones protoc-c emits
 * for the same .proto: message `shop.GetUserRequest` is the type
 * Shop__GetUserRequest with shop__get_user_request__descriptor, service
 * `shop.Users` is shop__users__*, method `GetUser` is get_user.
 */
#ifndef CRPC_GEN_NAMES_H
#define CRPC_GEN_NAMES_H

/* "GetHTTPStatus" -> "get_httpstatus" (protobuf-c CamelToLower). */
char *crpc_names_camel_to_lower(const char *name);

/* "GetUser" -> "GET_USER" (protobuf-c CamelToUpper). */
char *crpc_names_camel_to_upper(const char *name);

/* "get_user" -> "GetUser" (protobuf-c ToCamel). */
char *crpc_names_to_camel(const char *name);

/*
 * Dotted full names, a leading dot allowed: ".shop.v1.GetUser" ->
 * "shop__v1__get_user" (FullNameToLower), "SHOP__V1__GET_USER"
 * (FullNameToUpper), "Shop__V1__GetUser" (FullNameToC).
 */
char *crpc_names_full_to_lower(const char *full_name);
char *crpc_names_full_to_upper(const char *full_name);
char *crpc_names_full_to_c(const char *full_name);

/* "shop/users.proto" -> "shop/users" (protobuf-c StripProto). */
char *crpc_names_strip_proto(const char *file_name);

/*
 * The crpc_file_desc symbol of a file: "shop/users-v1.proto" ->
 * "crpc_file__shop__users_v1_proto" ('/' becomes "__", any other character
 * that is not a letter or digit '_').
 */
char *crpc_names_file_symbol(const char *file_name);

/* The include guard of a file's .crpc.h (protobuf-c FilenameIdentifier). */
char *crpc_names_include_guard(const char *file_name);

/*
 * A struct member named |lower|: with '_' appended if it is a C or C++
 * keyword, as protoc-c does for field names ("int" -> "int_").
 */
char *crpc_names_member(const char *lower);

/* |s| quoted as a C string literal. */
char *crpc_names_c_string(const char *s);

#endif /* CRPC_GEN_NAMES_H */
