#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets to tests/fuzz/corpus/<target>/.

The seeds are committed; run this again only to change them. It writes its named seeds over the
old ones and leaves the rest of each corpus alone: what `make fuzz-long` found and kept there
(files named by their SHA-1) stays. Standard library only: the CBOR of
the message seeds is encoded here (RFC 8949, definite lengths, shortest heads), in the shapes of
LINK.md and of src/link/message.cc / src/wire/json_codec.cc.
"""
import base64
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def cbor(v):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | info]) + struct.pack(fmt, n)
        raise ValueError(n)

    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def frame(payload):
    return struct.pack(">H", len(payload)) + payload


def hexhash(text):
    return hashlib.blake2b(text.encode(), digest_size=32).hexdigest()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames():
    # [control][limit][stream]: control seeds the chunk sizes (high nibble: repeats); a limit byte
    # below 0x80 means kMaxFrame, otherwise a limit of (byte & 0x7F).
    write("fuzz_frame", "three_frames", b"\x00\x00" + frame(b"hello") + frame(b"") + frame(bytes(100)))
    write("fuzz_frame", "partial", b"\x13\x00" + frame(b"0123456789")[:7])
    write("fuzz_frame", "over_small_limit", b"\x02\x8a" + frame(b"0123456789") + frame(b"0123456789a"))
    write("fuzz_frame", "repeated", b"\xf1\x00" + frame(b"x" * 300))
    write("fuzz_frame", "max_then_over", b"\x05\x00" + b"\x40\x00" + b"\x40\x01")
    write("fuzz_frame", "byte_by_byte", b"\x04\x00" + b"".join(frame(bytes([i]) * i) for i in range(1, 20)))


def messages():
    event1 = {"seq": 1, "time": 1795600800000, "kind": "change", "operation": "add", "source": "remote",
              "user": 1, "actor": "owner", "data_type": "pin", "index": 1, "hash": hexhash("1")}
    event2 = {"seq": 2, "time": 1795600801000, "kind": "lock_operation", "operation": "unlock",
              "source": "keypad", "user": 1, "credential": {"type": "pin", "index": 1}, "hash": hexhash("2")}
    event3 = {"seq": 3, "time": 1795600802000, "kind": "alarm", "alarm": "events_lost", "count": 7,
              "hash": hexhash("3")}
    event4 = {"seq": 4, "time": 1795600803000, "kind": "change", "operation": "clear", "source": "remote",
              "user": "all", "index": "all", "data_type": "user", "hash": hexhash("4")}
    settings = {"auto_relock_s": 30, "wrong_code_limit": 5, "lockout_s": 60, "lockout_escalation": True,
                "lockout_max_s": 3600, "expiring_user_timeout_min": 60, "require_pin_for_remote": False,
                "one_touch_locking": True, "multi_factor_window_s": 30, "door_ajar_s": 120,
                "sound_volume": "medium", "operating_mode": "normal", "timezone": "Europe/Berlin",
                "name": "front door"}
    week = {"kind": "week_day", "index": 1, "days": ["mon", "tue", "fri"], "start": "08:00", "end": "17:30"}
    year = {"kind": "year_day", "index": 2, "start": "2026-12-24T00:00", "end": "2026-12-26T23:59"}
    user = {"index": 1, "name": "alice", "unique_id": None, "status": "enabled", "type": "unrestricted",
            "credential_rule": "single", "credentials": [{"type": "pin", "index": 1}],
            "created_by": "owner", "modified_by": "owner", "created_at": 1795600800000,
            "modified_at": 1795600800000, "week_day_schedules": [week], "year_day_schedules": [year],
            "expires_at": 1795687200000}
    runtime = {"lock_state": "locked", "door_state": "closed", "wrong_attempts": 0, "lockout_level": 0,
               "lockout_remaining_ms": 0, "relock_remaining_ms": 0, "relock_waiting_for_door": False,
               "battery_mv": 6000, "external_power": False, "low_battery_raised": False,
               "critical_battery_raised": False, "door_ajar_raised": False, "door_open_ms": 0,
               "pending_user": 0, "pending_credentials": [], "pending_remaining_ms": 0,
               "pending_source": "keypad", "pending_operation": "unlock", "clock_trusted": True,
               "latest_wall_ms": 1795600800000, "last_seq": 4, "last_hash": hexhash("4"), "acked_seq": 2,
               "first_seq": 1}
    caps = {"max_users": 32, "credentials_per_user": 5, "min_pin_length": 6, "max_pin_length": 12}
    seeds = {
        "hello_lock": {"t": "hello", "v": 1, "id": "lock-1", "caps": caps, "last_seq": 4},
        "hello_hub": {"t": "hello", "v": 1, "id": "hub", "caps": {}, "acked_seq": 2},
        "req_unlock": {"t": "req", "id": 7, "op": "unlock",
                       "args": {"pin": "135790", "timeout_s": 60, "actor": {"name": "alice", "role": "member"}}},
        "req_set_settings": {"t": "req", "id": 8, "op": "set_settings",
                             "args": {"settings": {"auto_relock_s": 10, "name": "back door"},
                                      "actor": {"name": "owner", "role": "owner"}}},
        "req_set_user": {"t": "req", "id": 9, "op": "set_user",
                         "args": {"action": "add", "name": "bob", "type": "disposable", "status": "enabled"}},
        "req_set_credential": {"t": "req", "id": 10, "op": "set_credential",
                               "args": {"type": "pin", "data": "246802", "user": 2, "user_type": "unrestricted"}},
        "req_set_schedule_week": {"t": "req", "id": 11, "op": "set_schedule", "args": dict(week, user=1)},
        "req_set_schedule_year": {"t": "req", "id": 12, "op": "set_schedule", "args": dict(year, user=1)},
        "req_set_holiday": {"t": "req", "id": 13, "op": "set_holiday",
                            "args": {"index": 1, "start": "2026-12-24T00:00", "end": "2026-12-27T00:00",
                                     "operating_mode": "vacation"}},
        "req_set_time": {"t": "req", "id": 14, "op": "set_time", "args": {"time": 1795600800000}},
        "req_sim_keypad": {"t": "req", "id": 15, "op": "sim", "args": {"what": "keypad", "keys": "135790#"}},
        "res_ok_user": {"t": "res", "id": 9, "ok": True, "result": user},
        # Paged lists (docs/link.md): a page request, and a page with a user sent without its schedules.
        "req_list_users_page": {"t": "req", "id": 16, "op": "list_users", "args": {"from": 2, "limit": 3}},
        "res_list_users_page": {"t": "res", "id": 16, "ok": True,
                                "result": {"items": [user, dict({k: v for k, v in user.items()
                                                                 if k not in ("week_day_schedules", "year_day_schedules")},
                                                                index=2, schedules_apart=True)],
                                           "next": 3}},
        "res_ok_settings": {"t": "res", "id": 8, "ok": True, "result": settings},
        "res_error": {"t": "res", "id": 7, "ok": False,
                      "error": {"code": "denied", "message": "the lock refused the operation", "reason": "lockout"}},
        "state": {"t": "state", "lock_state": "locked", "door_state": "closed",
                  "battery": {"percent": 80, "millivolts": 5800, "low": False, "critical": False,
                              "external_power": False},
                  "operating_mode": "normal", "clock_trusted": True, "lockout_remaining_ms": 0,
                  "last_event_seq": 4, "settings": settings, "simulated": True, "acked_seq": 2},
        "events": {"t": "events", "events": [event1, event2, event3, event4], "first_seq": 1},
        # A clock change the owner forced back from the future (SECURITY.md "Clocks can be wrong").
        "events_clock_forced": {"t": "events", "first_seq": 5, "events": [
            {"seq": 5, "time": 1795600900000, "kind": "change", "operation": "modify", "source": "remote",
             "actor": "owner", "data_type": "clock", "from": 2051222400000, "to": 1795600900000, "forced": True,
             "hash": hexhash("5")}]},
        "req_set_time_force": {"t": "req", "id": 17, "op": "set_time",
                               "args": {"time": 1795600800000, "force": True, "actor": {"name": "owner", "role": "owner"}}},
        "runtime_doc_estimate": dict(runtime, t="state", wall_estimate_ms=1795600800000),
        "runtime_doc": dict(runtime, t="state"),
        "ack": {"t": "ack", "seq": 4},
        "resume": {"t": "resume", "after": 2},
        "ping": {"t": "ping"},
        "pong": {"t": "pong"},
        "unknown_type": {"t": "open_sesame"},
        "negative_and_float": {"t": "ack", "seq": -1, "x": 1.5, "b": b"\x00\x01"},
    }
    for name, body in seeds.items():
        write("fuzz_message", name, cbor(body))
    write("fuzz_message", "not_a_map", cbor(["t", "hello"]))
    write("fuzz_message", "truncated", cbor(seeds["events"])[:40])


def handshakes():
    # [control][bytes]: bit 0 XXpsk3, ((control >> 1) & 0x3F) % 8 the mode (see fuzz_handshake.cc).
    def c(mode, psk=False, flag=False):
        return bytes([mode << 1 | int(psk) | (0x80 if flag else 0)])

    e = hashlib.sha256(b"e").digest()
    write("fuzz_handshake", "m0_xx_e_only", c(0) + e)
    write("fuzz_handshake", "m0_xx_payload", c(0) + e + b"hello")
    write("fuzz_handshake", "m0_psk_tag", c(0, True) + e + bytes(16))
    write("fuzz_handshake", "m0_low_order", c(0) + bytes(32))
    write("fuzz_handshake", "m1_xx", c(1) + bytes(48 + 16))
    write("fuzz_handshake", "m1_psk", c(1, True) + hashlib.sha512(b"3").digest())
    write("fuzz_handshake", "m2_xx_real", c(2) + b"\x00")
    write("fuzz_handshake", "m2_psk_real", c(2, True) + b"\x00")
    write("fuzz_handshake", "m2_psk_wrong_psk", c(2, True, True) + b"\x00")
    write("fuzz_handshake", "m2_xx_flip", c(2) + b"\x00\x00\x00\x01")
    write("fuzz_handshake", "m2_xx_truncate", c(2) + b"\xff")
    write("fuzz_handshake", "m3_xx", c(3) + bytes(96))
    write("fuzz_handshake", "m4_xx_real", c(4) + b"\x00")
    write("fuzz_handshake", "m4_psk_flip", c(4, True) + b"\x00" + bytes(40) + b"\x80")
    # transport script: [op][len][bytes] with op % 5: 0 real, 1 any, 2 tampered, 3 replay, 4 reflected
    script = b"\x00\x05hello" + b"\x03\x00" + b"\x01\x11" + bytes(17) + b"\x02\x03\x00\x00\x01" + b"\x04\x02hi"
    write("fuzz_handshake", "m5_transport", c(5) + script)
    write("fuzz_handshake", "m6_decrypt", c(6) + bytes(8) + b"\x00" + bytes(32))
    write("fuzz_handshake", "m7_xx_payloads", c(7) + b"\x01\x01" + bytes(range(40)))
    write("fuzz_handshake", "m7_psk_empty", c(7, True) + b"\x00\x00")


def keypad():
    write("fuzz_keypad", "user_pin", "135790#")
    write("fuzz_keypad", "programming_pin", "246801#")
    write("fuzz_keypad", "disposable_twice", "11223344#\n11223344#")
    write("fuzz_keypad", "remote_only", "975310#")
    write("fuzz_keypad", "wrong_codes_lockout", "000000#111111#222222#333333#444444#555555#\n135790#")
    write("fuzz_keypad", "lockout_then_wait", b"000000#" * 5 + b"\xff" + b"135790#" + b"\xff\xff" + b"135790#")
    write("fuzz_keypad", "clear_and_timeout", b"12345\x90*135790#\n1357\x8090#")
    write("fuzz_keypad", "bad_keys", "13579a#")
    write("fuzz_keypad", "too_many_keys", "1" * 66 + "\n135790#")
    write("fuzz_keypad", "split_entry", "135\n790#")
    write("fuzz_keypad", "long_pin", "1357901357901#")


def offline_codes():
    # 'C' t s d: the hub's code of type 1 + t % 3, generation (held) - 1 + (t // 3) % 4, start
    # (current hour) + (int8)s, duration 1 + d (d < 64); bytes >= 0xC0 pass (b & 0x3F) hours.
    def code(type_=1, gen=0, start=0, hours=4):
        t = (type_ - 1) + 3 * (gen + 1)
        return b"C" + bytes([t, start & 0xFF, hours - 1])
    write("fuzz_offline_code", "window_open", code(1, 0, 0, 4) + b"#")
    write("fuzz_offline_code", "window_before_and_after", code(1, 0, 1, 2) + b"#\xc1" + code(1, 0, 0, 2) + b"#\xc2" + code(1, 0, -2, 2) + b"#")
    write("fuzz_offline_code", "one_time_twice_reboot", code(2, 0, 0, 4) + b"#" + code(2, 0, 0, 4) + b"#R" + code(2, 0, 0, 4) + b"#")
    write("fuzz_offline_code", "clear_then_old", code(1, 0, 0, 8) + b"#" + code(3, 1, 0, 24) + b"#" + code(1, -1, 0, 8) + b"#")
    write("fuzz_offline_code", "next_generation", code(1, 1, 0, 8) + b"#" + code(1, 2, 0, 8) + b"#")
    write("fuzz_offline_code", "long_window_late", code(1, 0, -25, 30) + b"#" + code(1, 0, -1, 30) + b"#\xd8" + code(1, 0, -25, 30) + b"#")
    write("fuzz_offline_code", "revoked", code(1, 0, 0, 8) + b"#V\x02" + code(1, 0, 0, 8) + b"#V\x01" + code(1, 0, 0, 8) + b"#V\x00" + code(1, 0, 0, 8) + b"#")
    write("fuzz_offline_code", "other_key", b"c\x03\x00\x03#N" + code(1, 0, 0, 4) + b"#")
    write("fuzz_offline_code", "untrusted_clock", b"U" + code(1, 0, 0, 4) + b"#A" + code(1, 0, 0, 4) + b"#")
    write("fuzz_offline_code", "clock_jump", code(1, 0, 2, 2) + b"J\x02#")
    write("fuzz_offline_code", "pin_first", b"P#135790#")
    write("fuzz_offline_code", "guessing_lockout", b"000000000000#111111111111#222222222222#333333333333#444444444444#" + code(1, 0, 0, 4) + b"#")
    write("fuzz_offline_code", "raise_generation", b"K\x01" + code(1, 0, 0, 4) + b"#" + code(1, -1, 0, 4) + b"#")
    write("fuzz_offline_code", "keypad_timeout", b"1234\x8a" + code(1, 0, 0, 4) + b"#*" + code(1, 0, 0, 4) + b"#")


def text_parsers():
    code = bytes(range(16))
    chars = base64.b32encode(code).decode().rstrip("=")
    formatted = "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))
    write("fuzz_text_parsers", "setup_code", formatted)
    write("fuzz_text_parsers", "setup_code_lower_spaces", formatted.lower().replace("-", " "))
    write("fuzz_text_parsers", "rfc3339_api", "2026-11-25T08:00:00.000Z")
    write("fuzz_text_parsers", "rfc3339_offset", "2026-11-25T08:00:00+01:00")
    write("fuzz_text_parsers", "rfc3339_leap_fraction", "2024-02-29T23:59:60.123456-05:30")
    write("fuzz_text_parsers", "rfc3339_epoch", "1970-01-01T00:00:00z")
    write("fuzz_text_parsers", "local_date_time", "2026-11-25T08:00")
    write("fuzz_text_parsers", "local_date_time_seconds", "2026-02-28T23:59:00")
    write("fuzz_text_parsers", "time_of_day", "08:30")
    write("fuzz_text_parsers", "time_of_day_max", "23:59")
    # The ends of the RFC 3339 range (time_format.h), inside and just outside.
    write("fuzz_text_parsers", "rfc3339_first_instant", "0001-01-01T00:00:00.000Z")
    write("fuzz_text_parsers", "rfc3339_last_instant", "9999-12-31T23:59:59.999Z")
    write("fuzz_text_parsers", "rfc3339_offset_into_year_1", "0000-12-31T23:00:00-01:00")
    write("fuzz_text_parsers", "rfc3339_offset_past_9999", "9999-12-31T23:30:00-01:00")


def phone_keys():
    # Deterministic CBOR (core/phone_key.h): keys and ops sorted by their encoded bytes.
    def canonical_map(d):
        items = sorted((cbor(k), cbor(v)) for k, v in d.items())
        return bytes([0xa0 | len(items)]) + b"".join(k + v for k, v in items)

    cert = {"v": 1, "serial": 7, "lock": "lk-0011223344556677", "user": 3, "phone": b"\x11" * 32,
            "not_before": 1795600800, "not_after": 1795687200, "ops": ["lock", "unlock"], "auto": False,
            "epoch": 2, "sig": b"\xaa" * 64}
    write("fuzz_phone_key", "certificate", canonical_map(cert))
    write("fuzz_phone_key", "every_lock_guest_auto", canonical_map(
        dict(cert, lock="*", user=0, auto=True, ops=["lock", "unlock", "unlatch"], serial=2**64 - 1, epoch=2**32 - 1)))
    write("fuzz_phone_key", "unlatch_only", canonical_map(dict(cert, ops=["unlatch"], user=65535)))
    write("fuzz_phone_key", "unsorted_keys", cbor(cert))  # refused: the keys are not in canonical order
    write("fuzz_phone_key", "extra_key", canonical_map(dict(cert, extra=0)))
    # A first byte 1, 2 or 3 picks a revocation list, an arrival token, the lock's stored record.
    write("fuzz_phone_key", "revocations", b"\x01" + canonical_map(
        {"v": 1, "version": 4, "epoch": 1, "revoked": [3, 7, 2**40], "sig": b"\xbb" * 64}))
    write("fuzz_phone_key", "arrival", b"\x02" + canonical_map(
        {"lock": "lk-0011223344556677", "phone": b"\x11" * 32, "serial": 7, "issued_at": 1795600800,
         "nonce": b"\x05" * 16}))
    write("fuzz_phone_key", "stored_state", b"\x03" + canonical_map(
        {"home_key": b"\x09" * 32, "version": 4, "epoch": 1, "revoked": [3, 7],
         "arrivals": [[b"\x05" * 16, 1795600800]]}))


def phone_sessions():
    # [control][bytes] (see fuzz_phone_session.cc): bit 0 a real phone (bit 1 IK, bit 5 fragments
    # of 20), bits 2..4 the chunk size of the stream. Messages in deterministic CBOR: keys sorted
    # by their encoded bytes, nested maps too.
    def canonical(v):
        if isinstance(v, dict):
            items = sorted((cbor(k), canonical(x)) for k, x in v.items())
            return bytes([0xa0 | len(items)]) + b"".join(k + x for k, x in items)
        return cbor(v)

    def fragments(message, start=0, size=512):
        out, seq, chunk = [], start, size - 2
        for at in range(0, len(message), chunk):
            more = 1 if at + chunk < len(message) else 0
            out.append(bytes([seq % 256, more]) + message[at:at + chunk])
            seq += 1
        return out

    def stream(*messages, size=512):
        out, seq = b"", 0
        for m in messages:
            for f in fragments(m, seq, size):
                out += struct.pack(">H", len(f)) + f
                seq += 1
        return out

    nonce = bytes(range(16))
    lock = canonical({"t": "lock", "lock": "lk-0011223344556677"})
    hello = canonical({"t": "hello", "cert": b"\xc3" * 214, "revocations": b"\x5c" * 40})
    challenge = canonical({"t": "challenge", "nonce": nonce})
    req = canonical({"t": "req", "op": "unlock", "nonce": nonce, "arrival": b"\xa7" * 20})
    ok = canonical({"t": "res", "ok": True,
                    "result": {"lock_state": "unlocked", "door_state": "closed", "battery_percent": 87}})
    refused = canonical({"t": "res", "ok": False, "error": {"code": "denied", "reason": "lockout"}})
    for name, m in (("lock", lock), ("hello", hello), ("challenge", challenge), ("req", req), ("res_ok", ok),
                    ("res_refused", refused)):
        write("fuzz_phone_session", "message_" + name, b"\x00" + m)
    write("fuzz_phone_session", "stream_messages", b"\x00" + stream(lock, hello, challenge, req, ok, refused))
    write("fuzz_phone_session", "stream_small_fragments", b"\x04" + stream(hello, req, size=20))
    write("fuzz_phone_session", "stream_xx_first", b"\x08" + stream(hashlib.sha256(b"e").digest()))
    write("fuzz_phone_session", "stream_ik_first", b"\x0c" + stream(hashlib.sha512(b"ik").digest() * 2))
    write("fuzz_phone_session", "stream_bad_seq", b"\x00" + struct.pack(">H", 4) + b"\x01\x00ab")
    write("fuzz_phone_session", "stream_over_limit", b"\x00" + b"\x02\x01" + bytes(513))

    # Scripts for a real session: [op][len][bytes], op % 4: 0 Request (bytes[0] % 4: lock,
    # unlock, unlatch, status), 1 a plaintext from the phone, 2 a raw fragment, 3 Complete
    # (refused if bytes[0] is odd).
    def step(op, arg=b""):
        return bytes([op, len(arg)]) + arg

    unlock = step(0, b"\x01") + step(3, b"\x00")
    write("fuzz_phone_session", "real_xx_unlock", b"\x01" + unlock + step(0, b"\x00") + step(3, b"\x01"))
    write("fuzz_phone_session", "real_ik_unlock", b"\x03" + unlock + step(0, b"\x03") + step(3, b"\x00"))
    write("fuzz_phone_session", "real_ik_small_fragments", b"\x23" + unlock * 3)
    write("fuzz_phone_session", "real_stale_req", b"\x03" + step(1, req) + unlock)
    write("fuzz_phone_session", "real_second_req", b"\x01" + step(0, b"\x01") + step(1, req) + step(3, b"\x00"))
    write("fuzz_phone_session", "real_wrong_type", b"\x01" + step(1, challenge))
    write("fuzz_phone_session", "real_raw_fragment", b"\x03" + step(2, b"\x02\x00abc"))
    write("fuzz_phone_session", "real_eight_failures", b"\x03" + (step(0, b"\x01") + step(3, b"\x01")) * 8)


def push():
    # A subscription's keys (RFC 8291's example) and settings patches (docs/notifications.md).
    write("fuzz_push", "p256dh", "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4")
    write("fuzz_push", "auth_padded", "BTBZMqHH6r4Tts7J_aSIgg==")
    write("fuzz_push", "point", base64.urlsafe_b64decode(
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4="))
    write("fuzz_push", "settings_all", '{"alarms": false, "unlocks": "first_of_day", "offline_minutes": 5}')
    write("fuzz_push", "settings_people", '{"unlocks": "people", "people": [{"lock": "lk-1", "user": 3}, {"lock": "lk-1", "user": 3}]}')
    write("fuzz_push", "settings_bad", '{"offline_minutes": 4, "people": [{"lock": "", "user": 0}]}')


if __name__ == "__main__":
    frames()
    messages()
    handshakes()
    keypad()
    text_parsers()
    phone_keys()
    phone_sessions()
    offline_codes()
    push()
