/* text.h: locale-proof number text shared by the text formats (BVH, HumanML3D captions, JSON).
 *
 * Numbers in files are always read and written in the C locale, whatever locale the process set
 * (so "0.05" is never written "0,05"); floats are written as the shortest decimal that reads
 * back to the same float32, in Python's style, so text round trips are exact. */
#ifndef MOSA_TEXT_H
#define MOSA_TEXT_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte of s that is not part of valid UTF-8 (as Rust's str::from_utf8
 * defines it: no overlong forms, no surrogates, nothing above U+10FFFF), or n if all is valid. */
size_t text_utf8_invalid_at(const uint8_t *s, size_t n);

/* Switches this thread to the C locale; returns the previous locale for text_locale_restore. */
locale_t text_locale_enter(void);
void text_locale_restore(locale_t old);

/* The shortest decimal that reads back as v (float32), written as Python writes floats
 * ("0.0", "2.5", "0.25", "1e-05", "1.5e+20"). out holds at least 32 bytes. */
void text_fmt_f32(float v, char out[32]);

#endif
