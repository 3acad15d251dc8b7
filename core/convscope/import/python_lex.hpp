// The tokenizer behind python_parse.hpp: pasted Python source -> tokens,
// following CPython 3.11's tokenizer (Parser/tokenizer.c): INDENT/DEDENT from
// the indentation (tab stops of 8, and its check that tabs and spaces are not
// mixed inconsistently), newlines ignored inside brackets, backslash
// continuation, comments, and its error texts and positions.
//
// The whole source is tokenized before parsing because CPython reports a
// tokenizer error anywhere in the file in preference to a parser error before
// it (pegen's _PyPegen_tokenize_full_source_to_check_for_errors). Tokens keep
// byte ranges into `Lexed::text`; a number's value and a string's contents
// are read by the parser (python_literals.cpp), as CPython's parser does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "convscope/import/python_ast.hpp"
#include "convscope/import/python_parse.hpp"

namespace convscope::import::py {

enum class Tok : uint8_t {
  name,     // identifiers and keywords
  number,   // as written (underscores, prefixes, j suffix)
  string,   // one literal, prefix and quotes included
  op,       // operators and delimiters, also a stray `$` or `?` (the parser rejects it)
  newline,  // end of a logical line
  indent,
  dedent,
  end,      // end of the source
  error,    // the tokenizer stopped here: Lexed::error says why
};

struct Token {
  Tok kind = Tok::end;
  uint32_t begin = 0;  // byte range in Lexed::text
  uint32_t size = 0;
  Pos pos;             // first character (an indent: its last column, as CPython reports it)
  Pos end;             // just after the last character
};

// Which parser errors before it a tokenizer error replaces, as CPython 3.11
// decides (pegen's _PyPegen_tokenize_full_source_to_check_for_errors).
enum class LexError {
  replaces,  // any parser error: strings, numbers, characters, brackets that do not match
  unclosed,  // a bracket never closed: parser errors on a later line than the bracket
  in_place,  // none: indentation, backslash continuation (reported only when reached)
};

struct Lexed {
  std::string text;                 // the source with "\n" line ends and no BOM
  std::vector<std::string> lines;   // `text` split at "\n"
  std::vector<Token> tokens;        // ends with Tok::end, or Tok::error when `failed`
  bool failed = false;
  ParseError error;
  LexError error_kind = LexError::replaces;

  std::string_view spelling(const Token& t) const { return std::string_view(text).substr(t.begin, t.size); }
};

void tokenize(const std::string& source, Lexed& out);

// The size of tree the reader builds, bounded whatever the text (4 MB of
// `x=1` lines would otherwise take a gigabyte of Stmt nodes): tokens, with
// each statement counting 10 (a Stmt is ~5 Exprs big); ~120 bytes of tree
// per unit. 4 MB of torch.nn's sources (docstrings and all) is ~630,000
// units, of the standard library ~1,150,000, of dense code without comments
// or docstrings up to ~1,600,000.
constexpr size_t max_units = 2'000'000;
constexpr const char* too_large = "the code is too large to read (over 2000000 tokens, a statement counting 10): "
                                  "paste the model's classes alone";

// Unicode helpers shared with the literal decoder.
// Decodes one UTF-8 sequence at text[i] (validated beforehand); returns its
// length in bytes and the code point in `cp`.
int utf8_decode(std::string_view text, size_t i, uint32_t& cp);
void utf8_append(std::string& out, uint32_t cp);

}  // namespace convscope::import::py
