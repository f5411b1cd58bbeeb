/*
 * value_format.h: writes rt_value results the way the language writes its
 * literals. Shared by the examples (header-only: static inline functions).
 *
 *   i64   -42
 *   f64   the shortest form that reads back as the same double, as Python
 *         prints it: 0.75, 2.0, 1e+16, 1e-05, 0.30000000000000004, inf, nan
 *   bool  true / false
 *   text  "quoted", with \n \t \r \\ \" escapes and \u{..} for other
 *         control characters
 *   void  nothing
 */

#ifndef RTJIT_EXAMPLES_VALUE_FORMAT_H
#define RTJIT_EXAMPLES_VALUE_FORMAT_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtjit.h"

/* The name of an RT_TYPE_* tag. */
static inline const char *value_type_name(int32_t type) {
    switch (type) {
    case RT_TYPE_VOID: return "void";
    case RT_TYPE_I64: return "i64";
    case RT_TYPE_F64: return "f64";
    case RT_TYPE_BOOL: return "bool";
    case RT_TYPE_TEXT: return "text";
    default: return "unknown type";
    }
}

/* Writes x with the fewest significant digits that read back as x: fixed
 * notation for exponents -5 < e < 16, else scientific (like Python's repr). */
static inline void fprint_f64(FILE *out, double x) {
    if (isnan(x)) {
        fputs("nan", out);
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", out);
        return;
    }

    /* Shortest round-trip digits: "-d.ddde+XX" for the smallest precision. */
    char sci[40];
    for (int precision = 0; precision <= 16; precision++) {
        snprintf(sci, sizeof sci, "%.*e", precision, x);
        if (strtod(sci, NULL) == x) {
            break;
        }
    }
    const char *p = sci;
    int negative = *p == '-';
    if (negative) {
        p++;
    }
    char digits[24];
    size_t ndigits = 0;
    for (; *p != 'e'; p++) {
        if (*p != '.') {
            digits[ndigits++] = *p;
        }
    }
    digits[ndigits] = '\0';
    int exponent = atoi(p + 1);
    /* Drop trailing zeros (0.5 has one digit, not "50"). */
    while (ndigits > 1 && digits[ndigits - 1] == '0') {
        digits[--ndigits] = '\0';
    }

    if (negative) {
        fputc('-', out);
    }
    if (exponent < -4 || exponent >= 16) {
        fprintf(out, "%c%s%.*s", digits[0], ndigits > 1 ? "." : "", (int)(ndigits - 1), digits + 1);
        fprintf(out, "e%c%02d", exponent < 0 ? '-' : '+', abs(exponent));
    } else if (exponent < 0) {
        fputs("0.", out);
        for (int i = -1; i > exponent; i--) {
            fputc('0', out);
        }
        fputs(digits, out);
    } else {
        /* exponent + 1 digits before the point, padded with zeros. */
        size_t whole = (size_t)exponent + 1;
        for (size_t i = 0; i < whole; i++) {
            fputc(i < ndigits ? digits[i] : '0', out);
        }
        fputc('.', out);
        fputs(ndigits > whole ? digits + whole : "0", out);
    }
}

/* Writes text as a literal of the language. */
static inline void fprint_text(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        case '"': fputs("\\\"", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(out, "\\u{%x}", (unsigned)*p);
            } else {
                fputc(*p, out);
            }
        }
    }
    fputc('"', out);
}

/* Writes a value (nothing for void); returns 0 for an unknown type tag. */
static inline int fprint_value(FILE *out, const rt_value *v) {
    switch (v->type) {
    case RT_TYPE_VOID: return 1;
    case RT_TYPE_I64: fprintf(out, "%" PRId64, v->as.i64); return 1;
    case RT_TYPE_F64: fprint_f64(out, v->as.f64); return 1;
    case RT_TYPE_BOOL: fputs(v->as.boolean ? "true" : "false", out); return 1;
    case RT_TYPE_TEXT: fprint_text(out, v->as.text); return 1;
    default: return 0;
    }
}

/* Frees what a value returned by the library owns (a text) and makes it void. */
static inline void value_release(rt_value *v) {
    if (v->type == RT_TYPE_TEXT) {
        rt_string_free((char *)v->as.text);
    }
    v->type = RT_TYPE_VOID;
}

#endif /* RTJIT_EXAMPLES_VALUE_FORMAT_H */
