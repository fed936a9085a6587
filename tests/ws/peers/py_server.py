# Interop peer: python3-websockets echo server for evnode's client; reports each close.
# usage: python3 py_server.py DEFLATE(0|1)
import asyncio
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            if message == "please-close":
                await ws.close(4003, "by server")
                break
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass  # websockets counts every code but 1000/1001 as an error
    await ws.wait_closed()
    print("closed", ws.close_code, ws.close_reason, flush=True)


async def main(deflate):
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None,
                                compression="deflate" if deflate else None) as server:
        port = server.sockets[0].getsockname()[1]
        print("listening", port, flush=True)
        await asyncio.Future()


asyncio.run(main(sys.argv[1] == "1"))
