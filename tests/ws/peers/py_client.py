# Interop peer: python3-websockets client against an evnode echo server. Sends every kind of
# message (a fragmented one as an iterable), checks each echo, pings, then closes with 4002.
# usage: python3 py_client.py URL DEFLATE(0|1)
import asyncio
import sys

import websockets


async def main(url, deflate):
    async with websockets.connect(url, compression="deflate" if deflate else None,
                                  max_size=None) as ws:
        print("extensions", ws.response_headers.get("Sec-WebSocket-Extensions", ""), flush=True)
        cases = [("text", "hello"), ("binary", b"\x00\x01\xff"), ("empty text", ""),
                 ("empty binary", b""), ("unicode", "κόσμε ✓ 😀"),
                 ("16MiB", bytes(range(256)) * 65536)]
        for name, data in cases:
            await ws.send(data)
            got = await ws.recv()
            if type(got) != type(data) or got != data:
                print("FAIL", name, flush=True)
                return 1
            print("ok", name, flush=True)
        await ws.send(["frag-", "men-", "ted"])
        if await ws.recv() != "frag-men-ted":
            print("FAIL fragmented", flush=True)
            return 1
        print("ok fragmented", flush=True)
        pong = await ws.ping(b"pp")
        await asyncio.wait_for(pong, 5)
        print("ok pong", flush=True)
        await ws.close(4002, "py")
        print("closed", ws.close_code, ws.close_reason, flush=True)
        return 0 if ws.close_code == 4002 and ws.close_reason == "py" else 1


sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2] == "1")))
