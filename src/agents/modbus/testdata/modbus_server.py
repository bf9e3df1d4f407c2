#!/usr/bin/python3
"""A Modbus TCP server with known registers, for the Modbus input's integration test.

Run by src/agents/modbus/modbus_input_test.cc with Debian's python3-pymodbus (3.0), an
implementation independent of libmodbus. Listens on 127.0.0.1:<port> (0 = any free port)
and prints "port <n>" once it accepts connections. Every unit id but 99 is answered; 99
gets exception 11 (gateway target device failed to respond), as from a gateway whose RTU
device is off. Addresses are
the protocol's, 0-based; each table holds addresses 0..199, so 5000 is out of range
(exception 2, illegal data address).

Holding registers
  0       int16   -1234
  1..2    float32 123.456, high word first ("big" word order)
  3..4    float32 123.456, low word first ("little" word order)
  5..6    uint32  3000000000
  10..11  uint32  counter: starts at 65534, +1 at every read that includes it
  20      uint16  2315
  30..33  string  "PLC-1", NUL-padded
  40..41  float32 NaN
  50..51  float32 123.456, each word's bytes swapped ("little" byte order)
  52..53  float32 123.456, low word first and bytes swapped (little, little)
Input registers
  0       uint16  42
  1..4    int64   -5
Coils: 0 on, 1 off, 5 on.  Discrete inputs: 3 on.
"""
import argparse
import asyncio
import struct
import sys

def _stand_in_serial_modules():
    """pymodbus.server imports pyserial modules when it loads, even for TCP, and Debian's
    python3-pymodbus only recommends them. Empty stand-ins let the TCP server load."""
    import importlib.util
    import types
    for name in ("serial", "serial_asyncio"):
        if importlib.util.find_spec(name) is None:
            module = types.ModuleType(name)
            module.create_serial_connection = None
            sys.modules[name] = module


_stand_in_serial_modules()

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartAsyncTcpServer

SIZE = 200
COUNTER = 10


def words_f32(v):
    hi, lo = struct.unpack(">HH", struct.pack(">f", v))
    return hi, lo


class CounterBlock(ModbusSequentialDataBlock):
    """Holding registers whose counter advances at every read that includes it."""

    def getValues(self, address, count=1):
        values = super().getValues(address, count)  # a copy: the value before the step
        if address <= COUNTER + 1 and COUNTER < address + count:
            v = (((self.values[COUNTER] << 16) | self.values[COUNTER + 1]) + 1) & 0xFFFFFFFF
            self.values[COUNTER] = v >> 16
            self.values[COUNTER + 1] = v & 0xFFFF
        return values


def holding():
    hr = [0] * SIZE
    hr[0] = 65536 - 1234
    hi, lo = words_f32(123.456)
    hr[1], hr[2] = hi, lo
    hr[3], hr[4] = lo, hi
    hr[5], hr[6] = 3000000000 >> 16, 3000000000 & 0xFFFF
    hr[10], hr[11] = 0, 65534
    hr[20] = 2315
    text = b"PLC-1\0\0\0"
    for i in range(4):
        hr[30 + i] = (text[2 * i] << 8) | text[2 * i + 1]
    hr[40], hr[41] = 0x7FC0, 0x0000
    swap = lambda w: ((w & 0xFF) << 8) | (w >> 8)
    hr[50], hr[51] = swap(hi), swap(lo)
    hr[52], hr[53] = swap(lo), swap(hi)
    return CounterBlock(0, hr)


def inputs():
    ir = [0] * SIZE
    ir[0] = 42
    for i, w in enumerate(struct.unpack(">HHHH", struct.pack(">q", -5))):
        ir[1 + i] = w
    return ModbusSequentialDataBlock(0, ir)


def bits(on):
    b = [False] * SIZE
    for i in on:
        b[i] = True
    return ModbusSequentialDataBlock(0, b)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    slave = ModbusSlaveContext(di=bits([3]), co=bits([0, 5]), hr=holding(), ir=inputs(),
                               zero_mode=True)
    units = {u: slave for u in range(0, 256) if u != 99}
    context = ModbusServerContext(slaves=units, single=False)
    server = await StartAsyncTcpServer(context=context, address=("127.0.0.1", args.port),
                                       allow_reuse_address=True, defer_start=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    await task


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
