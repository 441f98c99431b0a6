// A minimal C interface to RE2 for tripline's tests: compile a pattern with RE2's default
// options (UTF-8, Perl syntax; the options Kusto's `matches regex` documents) and search a text.
#include <re2/re2.h>
#include <cstring>
#include <string>

extern "C" {

// Compile `pattern` (UTF-8, `len` bytes). On error returns NULL and copies RE2's message
// (truncated, NUL-terminated) into `err`.
void* tripline_re2_new(const char* pattern, size_t len, char* err, size_t err_len) {
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2* re = new RE2(re2::StringPiece(pattern, len), opts);
    if (!re->ok()) {
        std::string msg = re->error();
        if (err_len > 0) {
            size_t n = msg.size() < err_len - 1 ? msg.size() : err_len - 1;
            std::memcpy(err, msg.data(), n);
            err[n] = '\0';
        }
        delete re;
        return nullptr;
    }
    return re;
}

// 1 when the pattern matches somewhere in `text` (an unanchored search), else 0.
int tripline_re2_search(const void* re, const char* text, size_t len) {
    return RE2::PartialMatch(re2::StringPiece(text, len), *static_cast<const RE2*>(re)) ? 1 : 0;
}

void tripline_re2_free(void* re) { delete static_cast<RE2*>(re); }

}
