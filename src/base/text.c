/* text.c: see text.h. */
#define _GNU_SOURCE
#include "text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

locale_t text_locale_enter(void) {
    pthread_once(&g_c_locale_once, c_locale_init);
    return g_c_locale ? uselocale(g_c_locale) : (locale_t)0;
}

void text_locale_restore(locale_t old) {
    if (old) uselocale(old);
}

void text_fmt_f32(float v, char out[32]) {
    char e[32];
    int p;
    for (p = 1; p <= 9; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, (double)v);
        if (strtof(e, NULL) == v) break;
    }
    /* e = [-]d[.ddd]e[+-]XX: digits and exponent */
    char digits[16];
    int nd = 0, neg = e[0] == '-';
    const char *s = e + neg;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    int ex = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char *o = out;
    if (neg) *o++ = '-';
    if (ex >= -5 && ex < 16) {
        if (ex < 0) {
            *o++ = '0', *o++ = '.';
            for (int i = -1; i > ex; i--) *o++ = '0';
            for (int i = 0; i < nd; i++) *o++ = digits[i];
        } else {
            for (int i = 0; i <= ex; i++) *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > ex + 1)
                for (int i = ex + 1; i < nd; i++) *o++ = digits[i];
            else
                *o++ = '0';
        }
        *o = 0;
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; i++) *o++ = digits[i];
        }
        snprintf(o, 16, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
}

size_t text_utf8_invalid_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u, min = 0x10000;
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}
