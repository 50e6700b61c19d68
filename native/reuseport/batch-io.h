// Batched UDP receive and send for a socket from open(): see batch-io.c.
#ifndef HAYATE_BATCH_IO_H
#define HAYATE_BATCH_IO_H
#include <node_api.h>

/** Adds attach, send, lastErrors, close and localPort to `exports`; 0 on failure. */
int batch_io_init(napi_env env, napi_value exports);

#endif
