#pragma once
// Constants and small helpers shared by dsml_machine.cpp and json_frames.cpp.

#include <cstdint>

#include "constraint/dsml_machine.h"

namespace atelier::engine::constraint {

// Dsml frame flags.
inline constexpr std::uint8_t kAfterInvokeTag = 1;  // the optional blank line may come
inline constexpr std::uint8_t kAfterBlock = 2;      // </｜DSML｜tool_calls> was written
// TopValue frame flag: the frame is a whole JSON reply (json_constraint.h), not a parameter
// value; after the value only whitespace, then the end-of-sentence token.
inline constexpr std::uint8_t kJsonDocument = 4;

// Object frame subs.
inline constexpr std::uint8_t kObjOpen = 0, kObjExpectKey = 1, kObjAfterKey = 2, kObjAfterValue = 3;
// Array frame subs.
inline constexpr std::uint8_t kArrOpen = 0, kArrAfterValue = 1, kArrAfterComma = 2;
// String frame: flags and subs.
inline constexpr std::uint8_t kIsKey = 1, kSurrogate = 2;
inline constexpr std::uint8_t kStrNormal = 0, kStrEscape = 1, kStrHex = 2;  // kStrHex..+3: \uXXXX
// Number frame: flags and subs.
inline constexpr std::uint8_t kIntegerOnly = 1;
inline constexpr std::uint8_t kNegative = 2;  // Number: a leading minus was read
inline constexpr std::uint8_t kNumStart = 0, kNumMinus = 1, kNumZero = 2, kNumInt = 3, kNumDot = 4,
                              kNumFrac = 5, kNumE = 6, kNumESign = 7, kNumExp = 8;

inline constexpr std::uint32_t kMaxWs = 32;       // whitespace bytes in a row inside JSON
inline constexpr std::uint16_t kMaxDigits = 15;   // mantissa digits (integers stay exact)
inline constexpr std::uint16_t kMaxExpDigits = 2;  // 15 digits e99 stays a finite double
inline constexpr std::uint16_t kMaxAnyKeys = 16;  // keys of an object without declared ones
inline constexpr std::uint32_t kMaxKeyChars = 64;

inline bool isJsonWs(std::uint8_t b) { return b == ' ' || b == '\n' || b == '\t' || b == '\r'; }

// Takes one whitespace byte from the frame's budget (`left`); false once it is spent.
inline bool spendWs(Frame& f) {
    if (f.left == 0) return false;
    --f.left;
    return true;
}

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), one byte at a time.
inline bool utf8Step(Frame& f, std::uint8_t b) {
    if (f.u8need > 0) {
        if (b < f.u8lo || b > f.u8hi) return false;
        --f.u8need, f.u8lo = 0x80, f.u8hi = 0xBF;
        return true;
    }
    if (b < 0x80) return true;
    if (b >= 0xC2 && b <= 0xDF) f.u8need = 1;
    else if (b == 0xE0) f.u8need = 2, f.u8lo = 0xA0;
    else if (b == 0xED) f.u8need = 2, f.u8hi = 0x9F;
    else if (b >= 0xE1 && b <= 0xEF) f.u8need = 2;
    else if (b == 0xF0) f.u8need = 3, f.u8lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3) f.u8need = 3;
    else if (b == 0xF4) f.u8need = 3, f.u8hi = 0x8F;
    else return false;
    return true;
}

}  // namespace atelier::engine::constraint
