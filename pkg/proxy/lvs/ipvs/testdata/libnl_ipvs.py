#!/usr/bin/python3
"""Builds IPVS generic netlink messages with libnl (the library
keepalived 2.2.7 links), putting the attributes in the order keepalived's
libipvs puts them, and prints each in hex on its own line. Input: a
JSON list of objects on stdin (see ipvs's TestLibnlOracle)."""
import ctypes
import ipaddress
import json
import socket
import struct
import sys

nl = ctypes.CDLL("libnl-3.so.200")
genl = ctypes.CDLL("libnl-genl-3.so.200")
vp, c_int = ctypes.c_void_p, ctypes.c_int
nl.nlmsg_alloc.restype = vp
nl.nlmsg_hdr.restype = vp
nl.nlmsg_hdr.argtypes = [vp]
nl.nla_nest_start.restype = vp
nl.nla_nest_start.argtypes = [vp, c_int]
nl.nla_nest_end.argtypes = [vp, vp]
nl.nla_put.argtypes = [vp, c_int, c_int, vp]
nl.nla_put_u8.argtypes = [vp, c_int, ctypes.c_uint8]
nl.nla_put_u16.argtypes = [vp, c_int, ctypes.c_uint16]
nl.nla_put_u32.argtypes = [vp, c_int, ctypes.c_uint32]
nl.nla_put_string.argtypes = [vp, c_int, ctypes.c_char_p]
genl.genlmsg_put.restype = vp
genl.genlmsg_put.argtypes = [vp, ctypes.c_uint32, ctypes.c_uint32, c_int, c_int, c_int, ctypes.c_uint8, ctypes.c_uint8]


def put(msg, typ, data):
    buf = ctypes.create_string_buffer(data, len(data))
    nl.nla_put(msg, typ, len(data), buf)


def addr16(a):
    b = ipaddress.ip_address(a).packed
    return b + b"\0" * (16 - len(b))


def build(spec):
    msg = nl.nlmsg_alloc()
    genl.genlmsg_put(msg, 0, spec["seq"], spec["family"], 0, 5, spec["cmd"], 1)
    s = spec.get("svc")
    if s:
        n = nl.nla_nest_start(msg, 1)
        nl.nla_put_u16(msg, 1, s["af"])
        if s.get("fwmark"):
            nl.nla_put_u32(msg, 5, s["fwmark"])
        else:
            nl.nla_put_u16(msg, 2, s["protocol"])
            put(msg, 3, addr16(s["addr"]))
            nl.nla_put_u16(msg, 4, socket.htons(s["port"]))
        nl.nla_put_string(msg, 6, s["sched"].encode())
        put(msg, 7, struct.pack("=II", s["flags"], 0xFFFFFFFF))
        nl.nla_put_u32(msg, 8, s["timeout"])
        nl.nla_put_u32(msg, 9, s["netmask"])
        nl.nla_nest_end(msg, n)
    d = spec.get("dest")
    if d:
        n = nl.nla_nest_start(msg, 2)
        nl.nla_put_u16(msg, 11, d["af"])
        put(msg, 1, addr16(d["addr"]))
        nl.nla_put_u16(msg, 2, socket.htons(d["port"]))
        nl.nla_put_u32(msg, 3, d["fwd"])
        nl.nla_put_u32(msg, 4, d["weight"])
        if d["fwd"] == 2:
            nl.nla_put_u8(msg, 13, d["tun_type"])
            if d["tun_type"] == 1:
                nl.nla_put_u16(msg, 14, socket.htons(d["tun_port"]))
            if d["tun_type"] != 0:
                nl.nla_put_u16(msg, 15, d["tun_flags"])
        nl.nla_put_u32(msg, 5, d["u"])
        nl.nla_put_u32(msg, 6, d["l"])
        nl.nla_nest_end(msg, n)
    h = nl.nlmsg_hdr(msg)
    length = ctypes.c_uint32.from_address(h).value
    print(ctypes.string_at(h, length).hex())


for one in json.load(sys.stdin):
    build(one)
