# crpc.mk: make rules that turn a .proto file into protobuf-c and crpc code.
#
# Installed by crpc as $(datadir)/crpc/crpc.mk. Needs GNU make (automake:
# add -Wno-portability). For each x.proto, one rule writes x.pb-c.c,
# x.pb-c.h (protoc-c) and x.crpc.c, x.crpc.h (protoc-gen-crpc) in the
# build directory, at the same path as the .proto below the proto root.
#
#   include /usr/share/crpc/crpc.mk
#   CRPC_PROTO_ROOT = $(srcdir)/proto        # where import paths start
#   BUILT_SOURCES = shop/users.pb-c.h shop/users.crpc.h
#   vpath %.proto $(CRPC_PROTO_ROOT)
#
# doc/protoc-gen-crpc.md has the whole story.

# The compilers. protoc finds protoc-gen-crpc on $PATH unless
# PROTOC_GEN_CRPC names it.
PROTOC ?= protoc
PROTOC_C ?= protoc-c
PROTOC_GEN_CRPC ?=

# The directory .proto import paths are relative to, and any further import
# directories (the well-known types come with protoc itself).
CRPC_PROTO_ROOT ?= $(if $(srcdir),$(srcdir),.)
CRPC_PROTO_PATH ?=

crpc_proto_flags = -I$(CRPC_PROTO_ROOT) $(addprefix -I,$(CRPC_PROTO_PATH))
crpc_plugin_flag = \
	$(if $(PROTOC_GEN_CRPC),--plugin=protoc-gen-crpc=$(PROTOC_GEN_CRPC))

# One run of each compiler makes all four files (a grouped pattern rule).
%.pb-c.c %.pb-c.h %.crpc.c %.crpc.h: %.proto $(PROTOC_GEN_CRPC)
	$(PROTOC_C) $(crpc_proto_flags) --c_out=. $<
	$(PROTOC) $(crpc_proto_flags) $(crpc_plugin_flag) --crpc_out=. $<
