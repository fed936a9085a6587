// evnode/evnode.h — everything: Node.js's networking stack in C++.
#pragma once

#include "evnode/abort.h"
#include "evnode/async_generator.h"
#include "evnode/buffer.h"
#include "evnode/cluster.h"
#include "evnode/dgram.h"
#include "evnode/dns.h"
#include "evnode/dns_promises.h"
#include "evnode/error.h"
#include "evnode/events.h"
#include "evnode/events_once.h"
#include "evnode/fetch.h"
#include "evnode/fs.h"
#include "evnode/fs_promises.h"
#include "evnode/http.h"
#include "evnode/http_parser.h"
#include "evnode/https.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/net_promises.h"
#include "evnode/operation.h"
#include "evnode/process.h"
#include "evnode/result.h"
#include "evnode/stream.h"
#include "evnode/stream_promises.h"
#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "evnode/tls.h"
#include "evnode/tls_promises.h"
#include "evnode/url.h"
#include "evnode/version.h"
#include "evnode/when.h"
#include "evnode/worker_threads.h"
#include "evnode/ws.h"
#include "evnode/zlib.h"

/// \namespace evnode
/// Node.js's networking stack in C++, with Node's names. The loop and timers (loop.h), events
/// (events.h), Buffer (buffer.h), streams (stream.h), errors (error.h) and URL (url.h) are here;
/// each module has its own namespace (net, http, https, tls, dgram, dns, fs, process, zlib).
