/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "code.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static const uint8_t sample_nonce[SG_CODE_NONCE_LEN] = {0x02, 0x10, 0x84, 0x21,
                                                        0x08, 0x42, 0x10, 0x86};

static struct sg_code sample(void)
{
        struct sg_code c = {
                .kind = SG_GRANT_USER,
                .target = "jane.doe",
                .export = false,
                .period = SG_PERIOD_1H,
                .note = "",
                .created = 1700000000, /* 2023-11-14 22:13:20 UTC */
        };

        memcpy(c.nonce, sample_nonce, sizeof(c.nonce));
        return c;
}

static void assert_code_equal(const struct sg_code *a, const struct sg_code *b)
{
        assert_int_equal(a->kind, b->kind);
        assert_string_equal(a->target, b->target);
        assert_int_equal(a->export, b->export);
        assert_int_equal(a->period, b->period);
        assert_string_equal(a->note, b->note);
        assert_int_equal(a->created, b->created);
        assert_memory_equal(a->nonce, b->nonce, SG_CODE_NONCE_LEN);
}

/* The verdict for a text, checking that return value and reason agree. */
static enum sg_code_error verdict(const char *text, struct sg_code *ret)
{
        enum sg_code_error why = (enum sg_code_error) - 1;
        struct sg_code dummy;
        int r;

        r = sg_code_decode(text, ret ? ret : &dummy, &why);
        if (why == SG_CODE_OK)
                assert_int_equal(r, 0);
        else
                assert_int_equal(r, -EINVAL);
        return why;
}

static void encode_ok(const struct sg_code *c, char buf[static SG_CODE_MAX])
{
        assert_int_equal(sg_code_encode(c, buf, SG_CODE_MAX), 0);
}

/* An independent writer of the format in code.h, to check the encoder against and to craft
 * payloads the encoder refuses to make. */
struct payload {
        uint8_t b[1024];
        size_t n;
};

static void payload_header(struct payload *p, uint8_t version, uint8_t flags, uint8_t period,
                           int64_t created, const uint8_t nonce[SG_CODE_NONCE_LEN])
{
        p->n = 0;
        p->b[p->n++] = version;
        p->b[p->n++] = flags;
        p->b[p->n++] = period;
        for (int i = 7; i >= 0; i--)
                p->b[p->n++] = (uint8_t)((uint64_t)created >> (8 * i));
        memcpy(p->b + p->n, nonce, SG_CODE_NONCE_LEN);
        p->n += SG_CODE_NONCE_LEN;
}

static void payload_field(struct payload *p, uint8_t len, const void *data, size_t data_len)
{
        p->b[p->n++] = len;
        memcpy(p->b + p->n, data, data_len);
        p->n += data_len;
}

static void payload_crc(struct payload *p)
{
        uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);

        crc = (uint32_t)crc32(crc, p->b, (uInt)p->n);
        for (int i = 3; i >= 0; i--)
                p->b[p->n++] = (uint8_t)(crc >> (8 * i));
}

static void payload_to_text(const struct payload *p, char *out, size_t size)
{
        size_t o = 0, nsym = 0, nbits = p->n * 8;

        o += (size_t)snprintf(out, size, "SG1-");
        for (size_t bit = 0; bit < nbits; bit += 5) {
                unsigned v = 0;

                for (size_t k = bit; k < bit + 5; k++) {
                        unsigned b = k < nbits ? (p->b[k / 8] >> (7 - k % 8)) & 1 : 0;
                        v = (v << 1) | b;
                }
                if (nsym > 0 && nsym % 5 == 0)
                        out[o++] = '-';
                out[o++] = alphabet[v];
                nsym++;
                assert_true(o < size);
        }
        out[o] = 0;
}

/* A well-formed payload for sample(), with the given target and note bytes. */
static void payload_sample(struct payload *p, const void *target, size_t tlen, const void *note,
                           size_t nlen)
{
        payload_header(p, 1, 0, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(p, (uint8_t)tlen, target, tlen);
        payload_field(p, (uint8_t)nlen, note, nlen);
}

/* ---------------------------------------------------------------------------------------- */

static void test_format_matches_spec(void **state)
{
        struct sg_code c = sample();
        struct payload p;
        char text[SG_CODE_MAX], expected[SG_CODE_MAX];

        encode_ok(&c, text);
        payload_sample(&p, "jane.doe", 8, "", 0);
        payload_crc(&p);
        payload_to_text(&p, expected, sizeof(expected));
        assert_string_equal(text, expected);
        /* Pinned: codes already sent out must keep decoding after any change. */
        assert_string_equal(text,
                            "SG1-04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6");
        assert_int_equal(strlen(text), 67); /* 33 bytes: 53 symbols, 10 dashes */

        /* Department, export, 1m, a note: flags 0x03, period 6. */
        c.kind = SG_GRANT_DEPARTMENT;
        c.export = true;
        c.period = SG_PERIOD_1M;
        strcpy(c.target, "support");
        strcpy(c.note, "Ticket 4711");
        encode_ok(&c, text);
        payload_header(&p, 1, 0x03, 6, 1700000000, sample_nonce);
        payload_field(&p, 7, "support", 7);
        payload_field(&p, 11, "Ticket 4711", 11);
        payload_crc(&p);
        payload_to_text(&p, expected, sizeof(expected));
        assert_string_equal(text, expected);
}

static void test_round_trip_every_period(void **state)
{
        static const char *const notes[] = {"", "Ticket 4711: Umzug der Datenbank – bitte bis Fr"};
        int n = 0;

        for (int kind = SG_GRANT_USER; kind <= SG_GRANT_DEPARTMENT; kind++)
                for (int period = 0; period < _SG_PERIOD_MAX; period++)
                        for (int exp = 0; exp <= 1; exp++)
                                for (size_t i = 0; i < 2; i++) {
                                        struct sg_code c = sample(), d;
                                        char text[SG_CODE_MAX];

                                        c.kind = (enum sg_grant_kind)kind;
                                        strcpy(c.target,
                                               kind == SG_GRANT_USER ? "jane.doe" : "support");
                                        c.period = (enum sg_period)period;
                                        c.export = exp;
                                        strcpy(c.note, notes[i]);
                                        c.created = 1700000000 + n;

                                        encode_ok(&c, text);
                                        assert_int_equal(strncmp(text, "SG1-", 4), 0);
                                        memset(&d, 0x55, sizeof(d));
                                        assert_int_equal(verdict(text, &d), SG_CODE_OK);
                                        assert_code_equal(&d, &c);
                                        n++;
                                }
        assert_int_equal(n, 2 * 8 * 2 * 2);
}

static void test_round_trip_longest(void **state)
{
        struct sg_code c = sample(), d;
        char text[SG_CODE_MAX];

        memset(c.target, 'a', SG_NAME_MAX - 1);
        c.target[SG_NAME_MAX - 1] = 0;
        memset(c.note, 'n', SG_NOTE_MAX_BYTES);
        c.note[SG_NOTE_MAX_BYTES] = 0;
        c.created = INT64_MAX;
        memset(c.nonce, 0xff, sizeof(c.nonce));

        encode_ok(&c, text);
        assert_int_equal(strlen(text), 925);
        assert_int_equal(verdict(text, &d), SG_CODE_OK);
        assert_code_equal(&d, &c);

        /* The buffer may be exactly as long as needed, not one byte less. */
        assert_int_equal(sg_code_encode(&c, text, 926), 0);
        assert_int_equal(sg_code_encode(&c, text, 925), -ENOBUFS);
}

static bool symbol_overlaps_byte(size_t sym, size_t byte)
{
        return 5 * sym < 8 * byte + 8 && 8 * byte < 5 * sym + 5;
}

/* Replaces every character of the code by every other character of the alphabet; each must be
 * refused. CRC-32 catches every burst of up to 32 bits and one symbol is 5 bits, so the answer
 * is "mistyped", or "incomplete" where the symbol falls on a length field. */
static void check_all_single_errors(const struct sg_code *c)
{
        char text[SG_CODE_MAX], bad[SG_CODE_MAX];
        size_t tlen = strlen(c->target), sym = 0, refused = 0;
        size_t len_a = 19, len_b = 19 + 1 + tlen;

        encode_ok(c, text);
        for (size_t i = 4; text[i]; i++) {
                char orig = text[i];

                if (orig == '-')
                        continue;
                for (size_t v = 0; v < 32; v++) {
                        enum sg_code_error why;

                        if (alphabet[v] == orig)
                                continue;
                        strcpy(bad, text);
                        bad[i] = alphabet[v];
                        why = verdict(bad, NULL);
                        if (why == SG_CODE_TRUNCATED)
                                assert_true(symbol_overlaps_byte(sym, len_a) ||
                                            symbol_overlaps_byte(sym, len_b));
                        else
                                assert_int_equal(why, SG_CODE_CHECKSUM);
                        refused++;
                }
                /* The same character in lower case is the same code. */
                strcpy(bad, text);
                bad[i] = (char)tolower((unsigned char)orig);
                assert_int_equal(verdict(bad, NULL), SG_CODE_OK);
                sym++;
        }
        assert_int_equal(refused, sym * 31);
}

static void test_every_single_error_refused(void **state)
{
        struct sg_code c = sample();

        check_all_single_errors(&c);

        c.kind = SG_GRANT_DEPARTMENT;
        c.export = true;
        c.period = SG_PERIOD_PERMANENT;
        strcpy(c.target, "customer-support");
        strcpy(c.note, "Migration – Ticket 4711");
        check_all_single_errors(&c);
}

static void test_adjacent_swaps_refused(void **state)
{
        struct sg_code c = sample();
        char text[SG_CODE_MAX], bad[SG_CODE_MAX];
        size_t swaps = 0;

        strcpy(c.note, "swap test");
        encode_ok(&c, text);
        for (size_t i = 4; text[i] && text[i + 1]; i++) {
                size_t j = text[i + 1] == '-' ? i + 2 : i + 1;
                enum sg_code_error why;

                if (text[i] == '-' || !text[j] || text[i] == text[j])
                        continue;
                strcpy(bad, text);
                bad[i] = text[j];
                bad[j] = text[i];
                why = verdict(bad, NULL);
                assert_true(why == SG_CODE_CHECKSUM || why == SG_CODE_TRUNCATED);
                swaps++;
        }
        assert_true(swaps > 40);
}

static void test_lenient_reading(void **state)
{
        struct sg_code c = sample(), d;
        char text[SG_CODE_MAX], loose[SG_CODE_MAX + 16];
        size_t o = 0, zeros = 0, ones = 0;

        encode_ok(&c, text);
        /* "  sg1" + body in lower case, without dashes, with 0 -> o/O and 1 -> l/I/i/L. */
        o += (size_t)snprintf(loose, sizeof(loose), " \t sg1");
        for (size_t i = 4; text[i]; i++) {
                char ch = text[i];

                if (ch == '-')
                        continue;
                if (ch == '0')
                        ch = "oO"[zeros++ % 2];
                else if (ch == '1')
                        ch = "lIiL"[ones++ % 4];
                else
                        ch = (char)tolower((unsigned char)ch);
                loose[o++] = ch;
        }
        strcpy(loose + o, "\r\n");
        assert_true(zeros >= 2);
        assert_true(ones >= 2);

        memset(&d, 0, sizeof(d));
        assert_int_equal(verdict(loose, &d), SG_CODE_OK);
        assert_code_equal(&d, &c);

        /* Dashes anywhere (e.g. regrouped by hand) do not matter. */
        assert_int_equal(
                verdict("SG1-0400-0000-0006-AMZH-0011-1111-1111-11G8-D9GP-WS9E-CHQP-A036-52CH-6",
                        &d),
                SG_CODE_OK);
        assert_code_equal(&d, &c);
}

static void test_urls(void **state)
{
        struct sg_code c = sample(), d;
        char text[SG_CODE_MAX], url[2 * SG_CODE_MAX];

        encode_ok(&c, text);

        snprintf(url, sizeof(url), "https://support.example.com/activate/%s", text);
        memset(&d, 0, sizeof(d));
        assert_int_equal(verdict(url, &d), SG_CODE_OK);
        assert_code_equal(&d, &c);

        snprintf(url, sizeof(url), "https://support.example.com/activate?code=%s&x=1", text);
        memset(&d, 0, sizeof(d));
        assert_int_equal(verdict(url, &d), SG_CODE_OK);
        assert_code_equal(&d, &c);

        snprintf(url, sizeof(url), "https://support.example.com/activate/%s/", text);
        assert_int_equal(verdict(url, &d), SG_CODE_OK);

        /* Query and fragment are not part of the last path segment. */
        snprintf(url, sizeof(url), "  https://h/activate/%s?utm_source=mail#top\n", text);
        assert_int_equal(verdict(url, &d), SG_CODE_OK);

        /* code= is taken over the path, up to '#'; other parameters may come first. */
        snprintf(url, sizeof(url), "https://h/activate/other?lang=de&code=%s#done", text);
        assert_int_equal(verdict(url, &d), SG_CODE_OK);

        /* An empty code= is no code: the path is looked at instead. */
        snprintf(url, sizeof(url), "https://h/activate/%s?code=&x=1", text);
        assert_int_equal(verdict(url, &d), SG_CODE_OK);
        snprintf(url, sizeof(url), "https://h/activate?code=&x=%s", text);
        assert_int_equal(verdict(url, &d), SG_CODE_NOT_A_CODE);

        /* "barcode=" is not "code=", so the last path segment is what counts. */
        snprintf(url, sizeof(url), "https://h/activate?barcode=%s", text);
        assert_int_equal(verdict(url, NULL), SG_CODE_NOT_A_CODE);

        assert_int_equal(verdict("https://support.example.com/", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("https://support.example.com", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("https://", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("://?code=", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("https://h/%", NULL), SG_CODE_NOT_A_CODE);

        /* Percent-encoding is not decoded: a %2D is simply a wrong character. */
        snprintf(url, sizeof(url), "https://h/a?code=SG1%%2D%s", text + 4);
        assert_int_equal(verdict(url, NULL), SG_CODE_BAD_CHARACTER);
        assert_int_equal(verdict("https://h/a?code=%", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("https://h/a/SG1-%%%", NULL), SG_CODE_BAD_CHARACTER);
}

static void test_truncated(void **state)
{
        struct sg_code c = sample();
        char text[SG_CODE_MAX], cut[SG_CODE_MAX];
        size_t len;

        strcpy(c.note, "backup check");
        encode_ok(&c, text);
        len = strlen(text);

        /* Every shorter copy of the code, down to the bare prefix, is reported as incomplete
         * (a cut right after a dash leaves the same characters as one before it). */
        for (size_t k = 4; k < len; k++) {
                memcpy(cut, text, k);
                cut[k] = 0;
                assert_int_equal(verdict(cut, NULL), SG_CODE_TRUNCATED);
        }
        assert_int_equal(verdict("SG1-", NULL), SG_CODE_TRUNCATED);
        assert_int_equal(verdict("SG1", NULL), SG_CODE_TRUNCATED);
}

static void test_not_a_code(void **state)
{
        assert_int_equal(verdict("", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("   ", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict(NULL, NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("hello world", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(
                verdict("04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6", NULL),
                SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("SGX-0400Y", NULL), SG_CODE_NOT_A_CODE);
        assert_int_equal(
                verdict("XG1-04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6",
                        NULL),
                SG_CODE_NOT_A_CODE);
        assert_int_equal(verdict("supportgrant activate SG1-0400Y", NULL), SG_CODE_NOT_A_CODE);
}

static void test_wrong_version_prefix(void **state)
{
        assert_int_equal(
                verdict("SG2-04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6",
                        NULL),
                SG_CODE_BAD_VERSION);
        assert_int_equal(verdict("sg2-anything", NULL), SG_CODE_BAD_VERSION);
        assert_int_equal(verdict("SG0-0400Y", NULL), SG_CODE_BAD_VERSION);
        assert_int_equal(verdict("https://h/activate/SG9-0400Y", NULL), SG_CODE_BAD_VERSION);
}

static void test_bad_characters(void **state)
{
        /* U is left out of the alphabet on purpose (it would be read as V). */
        assert_int_equal(
                verdict("SG1-04000-00000-06AMU-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6",
                        NULL),
                SG_CODE_BAD_CHARACTER);
        assert_int_equal(
                verdict("SG1-04000-00000 06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6",
                        NULL),
                SG_CODE_BAD_CHARACTER);
        assert_int_equal(verdict("SG1-04000_00000", NULL), SG_CODE_BAD_CHARACTER);
        assert_int_equal(verdict("SG1-04000-0000\xc3\xa4", NULL), SG_CODE_BAD_CHARACTER);
        assert_int_equal(verdict("SG1-*", NULL), SG_CODE_BAD_CHARACTER);
}

static void test_oversized_input(void **state)
{
        struct sg_code c = sample();
        char text[SG_CODE_MAX], big[5000];
        size_t len;

        encode_ok(&c, text);
        len = strlen(text);

        /* 4096 characters with the white space around the code: still read. */
        memset(big, ' ', 4096);
        memcpy(big + 100, text, len);
        big[4096] = 0;
        assert_int_equal(verdict(big, NULL), SG_CODE_OK);

        /* One more and it is refused before it is looked at. */
        memset(big, ' ', 4097);
        memcpy(big + 100, text, len);
        big[4097] = 0;
        assert_int_equal(verdict(big, NULL), SG_CODE_NOT_A_CODE);

        /* Long runs of valid symbols (more than any code) do not overrun anything. */
        memcpy(big, "SG1-", 4);
        memset(big + 4, 'Z', 4092);
        big[4096] = 0;
        assert_true(verdict(big, NULL) == SG_CODE_CHECKSUM ||
                    verdict(big, NULL) == SG_CODE_TRUNCATED);
        memset(big + 4, '0', 4092);
        assert_int_equal(verdict(big, NULL), SG_CODE_CHECKSUM);
}

/* Payloads with a correct checksum that the encoder would never produce. */
static enum sg_code_error verdict_payload(struct payload *p)
{
        char text[4096];

        payload_crc(p);
        payload_to_text(p, text, sizeof(text));
        return verdict(text, NULL);
}

static void test_crafted_content(void **state)
{
        static const uint8_t zero_nonce[SG_CODE_NONCE_LEN] = {};
        struct payload p;
        struct sg_code d;
        char text[4096];

        /* First the control: the crafting is right, a good payload decodes. */
        payload_sample(&p, "jane.doe", 8, "hi", 2);
        payload_crc(&p);
        payload_to_text(&p, text, sizeof(text));
        assert_int_equal(verdict(text, &d), SG_CODE_OK);
        assert_string_equal(d.target, "jane.doe");
        assert_string_equal(d.note, "hi");

        /* Target names sg_name_is_valid() refuses. */
        payload_sample(&p, "jane doe", 8, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "-rf", 3, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "../etc", 6, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "jane\0doe", 8, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "", 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "j\xc3\xa4ne", 5, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);

        /* Notes sg_text_check() refuses or would have changed. */
        payload_sample(&p, "jane.doe", 8, "\x1b[31mred", 8);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "jane.doe", 8, " padded", 7);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "jane.doe", 8, "a\0b", 3);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_sample(&p, "jane.doe", 8, "\xed\xa0\x80", 3);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        {
                char note[SG_NOTE_MAX_BYTES + 1];

                memset(note, 'n', sizeof(note));
                payload_sample(&p, "jane.doe", 8, note, SG_NOTE_MAX_BYTES + 1);
                assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
                payload_sample(&p, "jane.doe", 8, note, SG_NOTE_MAX_BYTES);
                assert_int_equal(verdict_payload(&p), SG_CODE_OK);
        }

        /* Period out of range, unknown flag bits. */
        payload_header(&p, 1, 0, _SG_PERIOD_MAX, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_header(&p, 1, 0, _SG_PERIOD_MAX - 1, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_OK);
        payload_header(&p, 1, 0x04, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_header(&p, 1, 0x80, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);

        /* Created before 1970, a nonce never filled in. */
        payload_header(&p, 1, 0, SG_PERIOD_1H, -1, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);
        payload_header(&p, 1, 0, SG_PERIOD_1H, 1700000000, zero_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);

        /* A byte after the note. */
        payload_sample(&p, "jane.doe", 8, "", 0);
        p.b[p.n++] = 0;
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_CONTENT);

        /* Lengths that promise more than there is. */
        payload_header(&p, 1, 0, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(&p, 9, "jane.doe", 8);
        assert_int_equal(verdict_payload(&p), SG_CODE_TRUNCATED);

        /* A version byte we do not know, behind a correct SG1- prefix and checksum. */
        payload_header(&p, 2, 0, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_VERSION);
        payload_header(&p, 0, 0, SG_PERIOD_1H, 1700000000, sample_nonce);
        payload_field(&p, 8, "jane.doe", 8);
        payload_field(&p, 0, "", 0);
        assert_int_equal(verdict_payload(&p), SG_CODE_BAD_VERSION);
}

static void test_padding_and_extra_symbols(void **state)
{
        struct sg_code c = sample();
        char text[SG_CODE_MAX], bad[SG_CODE_MAX + 8];
        size_t len;

        encode_ok(&c, text);
        len = strlen(text);
        /* 33 bytes = 264 bits = 53 symbols, the last one with a padding bit. */
        assert_int_equal(text[len - 1], '6'); /* 00110 */

        /* Setting the padding bit ('7' = 00111) changes no payload byte; still refused. */
        strcpy(bad, text);
        bad[len - 1] = '7';
        assert_int_equal(verdict(bad, NULL), SG_CODE_CHECKSUM);

        /* An extra character at the end, even one that adds only zero bits. */
        for (size_t v = 0; v < 32; v++) {
                snprintf(bad, sizeof(bad), "%s%c", text, alphabet[v]);
                assert_int_equal(verdict(bad, NULL), SG_CODE_CHECKSUM);
        }
}

static void test_encode_refuses_invalid(void **state)
{
        struct sg_code c;
        char text[SG_CODE_MAX];

        c = sample();
        strcpy(c.target, "");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.target, "jane doe");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.target, "../etc/passwd");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.target, "-jane");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        memset(c.target, 'a', sizeof(c.target)); /* no NUL at all */
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        strcpy(c.note, "\x1b[31mred alert");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.note, "tab\tinside");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.note, "rtl \xe2\x80\xae override");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.note, "  not trimmed ");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        strcpy(c.note, "???");
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        memset(c.note, 'n', sizeof(c.note)); /* no NUL at all */
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        c.period = _SG_PERIOD_MAX;
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);
        c.period = _SG_PERIOD_INVALID;
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        c.kind = (enum sg_grant_kind)2;
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        c.created = -1;
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        memset(c.nonce, 0, sizeof(c.nonce));
        assert_int_equal(sg_code_encode(&c, text, sizeof(text)), -EINVAL);

        c = sample();
        assert_int_equal(sg_code_encode(&c, text, 67), -ENOBUFS);
        assert_int_equal(sg_code_encode(&c, text, 68), 0);
        assert_string_equal(text,
                            "SG1-04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6");
}

static void test_nonce(void **state)
{
        struct sg_code a = sample(), b = sample();
        char ida[2 * SG_CODE_NONCE_LEN + 1], idb[2 * SG_CODE_NONCE_LEN + 1];
        static const uint8_t zero[SG_CODE_NONCE_LEN] = {};

        assert_int_equal(sg_code_new_nonce(&a), 0);
        assert_int_equal(sg_code_new_nonce(&b), 0);
        assert_memory_not_equal(a.nonce, b.nonce, SG_CODE_NONCE_LEN);
        assert_memory_not_equal(a.nonce, zero, SG_CODE_NONCE_LEN);
        assert_memory_not_equal(a.nonce, sample_nonce, SG_CODE_NONCE_LEN);

        sg_code_id(&a, ida);
        sg_code_id(&b, idb);
        assert_int_equal(strlen(ida), 16);
        assert_int_equal(strspn(ida, "0123456789abcdef"), 16);
        assert_string_not_equal(ida, idb);

        /* The same code made twice from the same request differs only in its nonce. */
        char ta[SG_CODE_MAX], tb[SG_CODE_MAX];
        encode_ok(&a, ta);
        encode_ok(&b, tb);
        assert_string_not_equal(ta, tb);
}

static void test_id(void **state)
{
        struct sg_code c = sample();
        char id[2 * SG_CODE_NONCE_LEN + 1];
        static const uint8_t nonce[SG_CODE_NONCE_LEN] = {0x01, 0x23, 0x45, 0x67,
                                                         0x89, 0xab, 0xcd, 0xef};

        memcpy(c.nonce, nonce, sizeof(nonce));
        sg_code_id(&c, id);
        assert_string_equal(id, "0123456789abcdef");
        sg_code_id(&(struct sg_code){.nonce = {0xff, 0, 0, 0, 0, 0, 0, 0x0a}}, id);
        assert_string_equal(id, "ff0000000000000a");
}

static void test_error_strings(void **state)
{
        char msg[200];

        assert_string_equal(sg_code_error_to_string(SG_CODE_CHECKSUM),
                            "is mistyped (its checksum does not match)");
        assert_string_equal(sg_code_error_to_string(SG_CODE_TRUNCATED),
                            "is incomplete (part of it is missing)");
        assert_string_equal(sg_code_error_to_string(SG_CODE_NOT_A_CODE),
                            "is not an activation code (those start with SG1-)");
        assert_string_equal(sg_code_error_to_string(SG_CODE_BAD_CHARACTER),
                            "contains a character that is not part of any code");
        assert_string_equal(sg_code_error_to_string(SG_CODE_BAD_VERSION),
                            "was made by another version of supportgrant");
        assert_string_equal(sg_code_error_to_string(SG_CODE_BAD_CONTENT),
                            "contains invalid data (user name, period or note)");
        assert_string_equal(sg_code_error_to_string((enum sg_code_error)42), "is invalid");

        snprintf(msg, sizeof(msg), "The code %s.", sg_code_error_to_string(SG_CODE_CHECKSUM));
        assert_string_equal(msg, "The code is mistyped (its checksum does not match).");
}

static void test_decode_leaves_ret_alone_on_error(void **state)
{
        struct sg_code d, before;
        enum sg_code_error why = SG_CODE_OK;

        memset(&d, 0x5a, sizeof(d));
        before = d;
        assert_int_equal(sg_code_decode("SG1-04000-00000", &d, &why), -EINVAL);
        assert_int_equal(why, SG_CODE_TRUNCATED);
        assert_memory_equal(&d, &before, sizeof(d));

        /* ret_why may be NULL. */
        assert_int_equal(sg_code_decode("nope", &d, NULL), -EINVAL);
        assert_int_equal(
                sg_code_decode(
                        "SG1-04000-00000-06AMZ-H0011-11111-11111-G8D9G-PWS9E-CHQPA-03652-CH6", &d,
                        NULL),
                0);
        assert_string_equal(d.target, "jane.doe");
        assert_int_equal(d.created, 1700000000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_matches_spec),
                cmocka_unit_test(test_round_trip_every_period),
                cmocka_unit_test(test_round_trip_longest),
                cmocka_unit_test(test_every_single_error_refused),
                cmocka_unit_test(test_adjacent_swaps_refused),
                cmocka_unit_test(test_lenient_reading),
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_not_a_code),
                cmocka_unit_test(test_wrong_version_prefix),
                cmocka_unit_test(test_bad_characters),
                cmocka_unit_test(test_oversized_input),
                cmocka_unit_test(test_crafted_content),
                cmocka_unit_test(test_padding_and_extra_symbols),
                cmocka_unit_test(test_encode_refuses_invalid),
                cmocka_unit_test(test_nonce),
                cmocka_unit_test(test_id),
                cmocka_unit_test(test_error_strings),
                cmocka_unit_test(test_decode_leaves_ret_alone_on_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
