// evnode/worker_threads.h — Node's worker_threads: a function on a new thread with its own
// event loop, and messages between loops.
//
//   auto worker = worker_threads::Worker::create([] {
//     auto port = worker_threads::parentPort();
//     port->on(worker_threads::MessagePort::Events::message, [port](const worker_threads::Value& v)
//     {
//       port->postMessage(hash(std::get<Buffer>(v)));   // answered from the worker's loop
//       port->close();                                  // nothing left: the worker exits
//     });
//   });
//   worker->on(worker_threads::Worker::Events::message, [](const worker_threads::Value& v) {...});
//   worker->on(worker_threads::Worker::Events::exit, [](int code) {...});
//   worker->postMessage(Buffer::from("bytes"));         // moved, not copied
//
// A message is a Value: nothing, a bool, a number, a string, a Buffer or a MessagePort. A
// Buffer is moved to the receiving thread, not copied: the sender must not change its bytes
// afterwards (Node detaches a transferred ArrayBuffer; here the bytes are shared). A
// MessagePort sent in a message moves to the receiving thread's loop (Node's transferList); it
// must not have a `message` listener on the sending side.
//
// Delivery: messages to one port are queued under a lock and the receiving loop is woken once
// per batch (LoopHandle::post, one uv_async_send), not once per message; each message is one
// `message` event on the receiving thread, in the order sent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "evnode/buffer.h"
#include "evnode/error.h"
#include "evnode/events.h"
#include "evnode/loop.h"

/// Node's worker_threads: Worker, MessagePort, MessageChannel, parentPort.
namespace evnode::worker_threads {

class MessagePort;
/// What a message carries (Node's structured clone, the kinds a networked program sends).
using Value =
    std::variant<std::monostate, bool, double, std::string, Buffer, std::shared_ptr<MessagePort>>;

namespace detail {
struct PortCore;
}

/// One end of a channel between two loops (Node's MessagePort). Its events run on the loop of
/// the thread that owns it: the one that made it, or the one it was sent to in a message.
/// Like Node's, a port with a `message` listener keeps its loop running until close() or
/// unref(); without one, messages wait in its queue.
class MessagePort : public EventEmitter, public std::enable_shared_from_this<MessagePort> {
 public:
  /// A port's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    /// A message arrived.
    static constexpr Event<const Value&> message{"message"};
    /// This end or the other was closed.
    static constexpr Event<> close{"close"};
  };
  ~MessagePort() override;  ///< a port dropped while listening stops keeping its loop alive

  /// Sends `value` to the other end (moved; thread-safe with respect to the other end). A
  /// message to a closed channel is dropped, as in Node.
  void postMessage(Value value);
  /// Closes both ends: nothing more is sent; messages sent before are still delivered, then
  /// each end emits `close` on its own loop.
  void close();
  /// Lets the loop end while this port listens.
  void unref();
  /// Makes a listening port keep the loop running again (the default).
  void ref();

 protected:
  /// @cond internal
  void newListener(const void* key) override;
  void listenerRemoved(const void* key) override;
  /// @endcond

 private:
  friend struct detail::PortCore;
  friend std::pair<std::shared_ptr<MessagePort>, std::shared_ptr<MessagePort>> makePorts();
  MessagePort() = default;
  void updateRef();
  std::shared_ptr<detail::PortCore> core_;
  bool refed_ = true;
  bool keeping_ = false;  // holds this loop alive (detail::keepLoopAlive)
};

/// Node's `new MessageChannel()`: two ports, each the other's end, both owned by the calling
/// thread until one is sent to another thread in a message.
struct MessageChannel {
  /// Makes the two connected ports.
  MessageChannel();
  std::shared_ptr<MessagePort> port1;  ///< one end
  std::shared_ptr<MessagePort> port2;  ///< the other end
};

/// Node's Worker options (the part that applies).
struct WorkerOptions {
  /// A copy of it is workerData() inside the worker.
  Value workerData;
  /// A name for the thread (Linux: the first 15 bytes, as `ps -L` shows).
  std::string name;
};

/// Node's Worker: `fn` runs on a new thread with its own Loop, which then runs until nothing
/// referenced remains (parentPort() with a `message` listener counts). Made on a thread with a
/// loop; its events run there.
class Worker : public EventEmitter, public std::enable_shared_from_this<Worker> {
 public:
  /// A worker's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    /// The worker's thread started running `fn`.
    static constexpr Event<> online{"online"};
    /// The worker sent a message on its parentPort().
    static constexpr Event<const Value&> message{"message"};
    /// The exit code: 0 when its loop ran out of work, 1 when `fn` (or a callback on its
    /// loop) threw (after `error`) or after terminate().
    static constexpr Event<int> exit{"exit"};
  };

  /// Starts the worker. Throws Exception(ERR_INVALID_ARG_TYPE) for an empty `fn`.
  static std::shared_ptr<Worker> create(std::function<void()> fn, WorkerOptions options = {});
  ~Worker() override;  ///< reached once `exit` was emitted

  /// Sends `value` to the worker's parentPort() (moved).
  void postMessage(Value value);
  /// Stops the worker's loop as soon as it runs again (a `fn` still running is not interrupted:
  /// threads cannot be killed safely); everything left open there is closed, then `exit`
  /// follows with code 1, and `cb` with it.
  void terminate(std::function<void(int)> cb = nullptr);
  /// A number unique to this worker in the process (Node's worker.threadId).
  int threadId() const { return threadId_; }
  /// Makes the worker keep this loop running (the default).
  void ref();
  /// Lets this loop end while the worker still runs (the worker is then waited for when this
  /// thread's Loop is destroyed).
  void unref();

 private:
  Worker() = default;
  struct Thread;
  std::shared_ptr<MessagePort> port_;  // this side of the channel to the worker's parentPort
  std::shared_ptr<Thread> thread_;
  std::shared_ptr<Worker> self_;  // held while the thread runs
  int threadId_ = 0;
  bool refed_ = true;
  bool exited_ = false;
  bool keeping_ = false;  // holds the creating loop alive until the exit is delivered
};

/// Inside a worker: the port to the thread that created it (Node's parentPort); null on any
/// other thread.
std::shared_ptr<MessagePort> parentPort();
/// Inside a worker: its WorkerOptions::workerData (empty elsewhere).
const Value& workerData();
/// Whether the calling thread is not a Worker's (Node's isMainThread).
bool isMainThread();
/// The calling thread's worker id (0 outside a worker), as Worker::threadId().
int threadId();

}  // namespace evnode::worker_threads
