// Internal: where a server connection's response bytes gather before they go to its socket.
//
// While a connection handles what one read brought (Connection::process), the responses its
// handlers complete append their bytes to one per-thread batch, and the batch is written to the
// socket with one write when the read is handled: pipelined responses leave in one syscall, and
// a small response costs no socket write, no Buffer and no tick of its own.
#pragma once

#include <string>
#include <string_view>

#include "evnode/buffer.h"

namespace evnode::http {

class Connection;

// The thread's batch holds the bytes of one connection at a time (`owner`); a connection that
// wants to append while another's bytes wait writes those out first (Connection::output).
struct OutputBatch {
  std::string bytes;
  Connection* owner = nullptr;
  static OutputBatch& get() {
    thread_local OutputBatch batch;
    return batch;
  }
};

// `bytes` copied into a Buffer cut from a per-thread slab: no allocation per write once warm
// (a slab is reused from its start as soon as no write holds a view of it any more).
Buffer outputBuffer(std::string_view bytes);

}  // namespace evnode::http
