// SPDX-License-Identifier: GPL-3.0-or-later
// The pickle opcodes that the Pickler writes and the Unpickler reads: every opcode of protocols
// 0 to 5 that torch.save can emit, plus the classic containers and memo forms older Pythons
// used. Names and byte values are CPython's (Lib/pickletools.py documents each one; the
// protocol that introduced an opcode is noted per group).
//
// An unscoped enum in its own namespace: users write `using namespace pickle;` inside their .cpp
// and switch on the raw byte, without the names leaking into ds::io.
#pragma once
#include <cstdint>

namespace ds::io::pickle {

enum Opcode : uint8_t {
    // Protocol 0.
    MARK = '(',
    STOP = '.',
    POP = '0',
    DUP = '2',
    NONE = 'N',
    REDUCE = 'R',
    APPEND = 'a',
    BUILD = 'b',
    GLOBAL = 'c',
    DICT = 'd',
    LIST = 'l',
    SETITEM = 's',
    TUPLE = 't',

    // Protocol 1.
    EMPTY_TUPLE = ')',
    POP_MARK = '1',
    BINFLOAT = 'G',
    BININT = 'J',
    BININT1 = 'K',
    BININT2 = 'M',
    BINPERSID = 'Q',
    BINSTRING = 'T',
    SHORT_BINSTRING = 'U',
    BINUNICODE = 'X',
    EMPTY_LIST = ']',
    APPENDS = 'e',
    BINGET = 'h',
    LONG_BINGET = 'j',
    BINPUT = 'q',
    LONG_BINPUT = 'r',
    SETITEMS = 'u',
    EMPTY_DICT = '}',

    // Protocol 2.
    PROTO = 0x80,
    NEWOBJ = 0x81,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    LONG4 = 0x8b,

    // Protocol 3.
    BINBYTES = 'B',
    SHORT_BINBYTES = 'C',

    // Protocol 4.
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,

    // Protocol 5.
    BYTEARRAY8 = 0x96,
};

}  // namespace ds::io::pickle
