# pipeline_client.py PORT N -- sends N requests as batches of 16 pipelined GETs over 4 keep-alive
# connections and waits for every response (bench/http/ir.sh drives a server under callgrind).
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
batch = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 16
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
done = 0
while done < n:
    for c in conns:
        c.sendall(batch)
    for c in conns:
        buf = b""
        while buf.count(b"\r\n\r\n") < 16 or not buf.endswith(b"Hello HTTP"):
            d = c.recv(65536)
            if not d:
                sys.exit("server closed the connection")
            buf += d
        done += 16
for c in conns:
    c.close()
