/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant: how results look: aligned tables, times, JSON. */

#include <stdarg.h>

#include "cli.h"
#include "timeutil.h"

#define TABLE_BATCH 1000 /* rows buffered before a streamed table prints them */

char *cli_sanitize(const char *s)
{
        const unsigned char *in;
        char *copy, *out;

        if (isempty(s))
                return strdup("-");
        copy = malloc(strlen(s) + 1);
        if (!copy)
                return NULL;
        /* The daemon validates reasons and notes, but what reaches a terminal from a database
         * must not be able to move the cursor or retitle the window even if that ever fails:
         * C0 controls, DEL, and C1 controls in their UTF-8 form (U+0080..U+009F, which some
         * terminals obey like ESC [) each become one '?'. The daemon's JSON is valid UTF-8,
         * so no raw C1 byte can arrive on its own. */
        for (in = (const unsigned char *)s, out = copy; *in; in++) {
                if (*in < 0x20 || *in == 0x7f)
                        *out++ = '?';
                else if (in[0] == 0xc2 && in[1] >= 0x80 && in[1] <= 0x9f) {
                        *out++ = '?';
                        in++;
                } else
                        *out++ = (char)*in;
        }
        *out = '\0';
        return copy;
}

const char *cli_json_string(json_object *o, const char *key)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

bool cli_json_bool(json_object *o, const char *key)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_boolean))
                return false;
        return json_object_get_boolean(v);
}

int cli_json_int64(json_object *o, const char *key, int64_t *ret)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -ENODATA;
        *ret = json_object_get_int64(v);
        return 0;
}

void cli_format_time(const struct cli *cli, const char *rfc3339, char *buf, size_t size)
{
        time_t t;

        if (isempty(rfc3339)) {
                (void)snprintf(buf, size, "-");
                return;
        }
        if (sg_time_parse_rfc3339(rfc3339, &t) >= 0 &&
            sg_time_format_human(t, cli->utc, buf, size) >= 0)
                return;
        /* Show what came rather than nothing: it still tells the reader something. */
        _cleanup_free_ char *s = cli_sanitize(rfc3339);
        (void)snprintf(buf, size, "%s", s ? s : "?");
}

void cli_format_expiry(const struct cli *cli, const char *rfc3339, bool relative, char *buf,
                       size_t size)
{
        char human[SG_TIME_HUMAN_MAX + 32], rel[64];
        time_t t;

        if (!rfc3339) {
                (void)snprintf(buf, size, "never");
                return;
        }
        cli_format_time(cli, rfc3339, human, sizeof(human));
        if (relative && sg_time_parse_rfc3339(rfc3339, &t) >= 0 &&
            sg_time_format_relative(t, cli->now, rel, sizeof(rel)) >= 0)
                (void)snprintf(buf, size, "%s (%s)", human, rel);
        else
                (void)snprintf(buf, size, "%s", human);
}

void cli_format_target(json_object *grant, char *buf, size_t size)
{
        const char *kind = cli_json_string(grant, "kind");
        _cleanup_free_ char *target = cli_sanitize(cli_json_string(grant, "target"));

        if (kind && streq(kind, "department"))
                (void)snprintf(buf, size, "department %s", target ? target : "?");
        else
                (void)snprintf(buf, size, "%s", target ? target : "?");
}

int cli_error_errno(int error, const char *fmt, ...)
{
        va_list ap;

        error = error < 0 ? -error : error;
        fputs("supportgrant: ", stderr);
        errno = error;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -error;
}

int cli_flush_stdout(void)
{
        if (fflush(stdout) != 0 || ferror(stdout))
                return cli_error_errno(errno > 0 ? errno : EIO, "cannot write the output: %m");
        return 0;
}

static const char *json_text(json_object *o)
{
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Writes JSON text, indenting continuation lines by 'indent'. json-c escapes C0 controls but
 * passes DEL and C1 controls (U+0080..U+009F) through raw, and --json output lands on
 * terminals too: escape those as well. Outside strings JSON text is plain ASCII, so every such
 * byte sits inside a string, where "\u007f" means the same; and since JSON strings never hold
 * a raw newline, every newline is layout. */
static void put_json(const char *text, const char *indent)
{
        for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                if (*p == 0x7f)
                        fputs("\\u007f", stdout);
                else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        printf("\\u%04x", p[1]);
                        p++;
                } else {
                        putchar(*p);
                        if (*p == '\n')
                                fputs(indent, stdout);
                }
        }
}

int cli_print_json(json_object *o)
{
        const char *text = json_text(o);

        if (!text)
                return -ENOMEM;
        put_json(text, "");
        putchar('\n');
        return 0;
}

int cli_json_array_add(struct cli_json_array *a, json_object *item)
{
        const char *text = json_text(item);

        if (!text)
                return -ENOMEM;
        fputs(a->n == 0 ? "[\n  " : ",\n  ", stdout);
        put_json(text, "  ");
        a->n++;
        /* A reader piping into jq sees each element as it arrives. */
        if (a->n % TABLE_BATCH == 0)
                return cli_flush_stdout();
        return 0;
}

int cli_json_array_end(struct cli_json_array *a)
{
        fputs(a->n == 0 ? "[]\n" : "\n]\n", stdout);
        return 0;
}

int cli_json_print_array(json_object *arr)
{
        struct cli_json_array out = {};
        size_t n = json_object_array_length(arr);

        for (size_t i = 0; i < n; i++) {
                int r = cli_json_array_add(&out, json_object_array_get_idx(arr, i));
                if (r < 0)
                        return r;
        }
        return cli_json_array_end(&out);
}

int cli_reply_array(json_object *params, const char *key, const char *what, json_object **ret)
{
        if (!json_object_object_get_ex(params, key, ret) ||
            !json_object_is_type(*ret, json_type_array))
                return cli_bad_reply(what);
        return 0;
}

struct cli_table {
        size_t n_columns;
        const char *const *headers;
        size_t *widths;
        char **cells; /* n_rows * n_columns */
        size_t n_rows, n_total;
        bool header_printed;
};

struct cli_table *cli_table_new(const char *const *headers, size_t n_columns)
{
        struct cli_table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->headers = headers;
        t->n_columns = n_columns;
        t->widths = calloc(n_columns, sizeof(size_t));
        t->cells = calloc(TABLE_BATCH * n_columns, sizeof(char *));
        if (!t->widths || !t->cells) {
                cli_table_free(t);
                return NULL;
        }
        return t;
}

static void table_drop_rows(struct cli_table *t)
{
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++) {
                free(t->cells[i]);
                t->cells[i] = NULL;
        }
        t->n_rows = 0;
}

void cli_table_free(struct cli_table *t)
{
        if (!t)
                return;
        if (t->cells)
                table_drop_rows(t);
        free(t->cells);
        free(t->widths);
        free(t);
}

size_t cli_table_rows(const struct cli_table *t)
{
        return t->n_total;
}

/* Columns as a terminal shows them: UTF-8 continuation bytes take no room. Wide (CJK)
 * characters would be off by one each, but only the unpadded last column holds free text. */
static size_t text_width(const char *s)
{
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

static void print_row(const struct cli_table *t, const char *const *cells)
{
        for (size_t c = 0; c < t->n_columns; c++) {
                if (c + 1 == t->n_columns) {
                        puts(cells[c]);
                        break;
                }
                fputs(cells[c], stdout);
                for (size_t w = text_width(cells[c]); w < t->widths[c] + 2; w++)
                        putchar(' ');
        }
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
        int r;

        if (t->n_rows == TABLE_BATCH) {
                r = cli_table_flush(t);
                if (r < 0)
                        return r;
        }
        for (size_t c = 0; c < t->n_columns; c++) {
                char *s = cli_sanitize(cells[c]);

                if (!s)
                        return -ENOMEM;
                t->cells[t->n_rows * t->n_columns + c] = s;
        }
        t->n_rows++;
        t->n_total++;
        return 0;
}

int cli_table_flush(struct cli_table *t)
{
        if (t->n_rows == 0)
                return 0;
        for (size_t c = 0; c < t->n_columns; c++) {
                if (!t->header_printed && text_width(t->headers[c]) > t->widths[c])
                        t->widths[c] = text_width(t->headers[c]);
                for (size_t i = 0; i < t->n_rows; i++) {
                        size_t w = text_width(t->cells[i * t->n_columns + c]);

                        if (w > t->widths[c])
                                t->widths[c] = w;
                }
        }
        if (!t->header_printed) {
                print_row(t, t->headers);
                t->header_printed = true;
        }
        for (size_t i = 0; i < t->n_rows; i++)
                print_row(t, (const char *const *)&t->cells[i * t->n_columns]);
        table_drop_rows(t);
        return cli_flush_stdout();
}
