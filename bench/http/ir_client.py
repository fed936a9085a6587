# ir_client.py MODE PORT N -- the client bench/http/ir.sh drives a server under callgrind with.
# Sends N requests and waits for every response:
#   pipeline   batches of 16 pipelined GETs over 4 keep-alive connections
#   keepalive  one GET at a time on each of 16 keep-alive connections, round-robin (one request
#              per server read, as wrk does)
#   close      a connection per request ("Connection: close"), read until the server closes
import socket
import sys

mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_responses(c, count):
    buf = b""
    while buf.count(b"\r\n\r\n") < count or not buf.endswith(b"Hello HTTP"):
        d = c.recv(65536)
        if not d:
            sys.exit("server closed the connection")
        buf += d


if mode == "close":
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(req)
        buf = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            buf += d
        if not buf.endswith(b"Hello HTTP"):
            sys.exit("bad response: %r" % buf)
        c.close()
    sys.exit(0)

depth, count = (16, 4) if mode == "pipeline" else (1, 16)
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
for c in conns:
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
done = 0
while done < n:
    for c in conns:
        c.sendall(GET * depth)
    for c in conns:
        read_responses(c, depth)
        done += depth
for c in conns:
    c.close()
