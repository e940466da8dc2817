"""Opens a paperdex index with the official tantivy Python bindings and prints, for
each query given, the page ids of the pages it matches (up to 100) as JSON: one list per
query.

paperdex's analyzer is registered from the bindings' own parts (words of letters and
digits, lower-cased, ASCII-folded, English stems), which matches it on English text.

Usage: python3 top_pages.py INDEX_DIR QUERY...
"""

import json
import sys

import tantivy

TEXT_FIELDS = {
    "title": 2.0, "name": 3.0, "label": 2.0, "citation": 1.5, "category": 1.5, "mechanism": 1.5,
    "summary": 1.0, "topic": 1.5, "affiliation": 1.5, "authors": 1.5, "caption": 1.2,
    "description": 1.0, "table": 0.8, "body": 1.0,
}


def main() -> None:
    index = tantivy.Index.open(sys.argv[1])
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[\p{L}\p{N}]+"))
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    index.register_tokenizer("paperdex", analyzer)
    index.reload()
    searcher = index.searcher()
    results = []
    for text in sys.argv[2:]:
        query = index.parse_query(
            f'({text}) AND kind_facet:"/page"',
            list(TEXT_FIELDS),
            field_boosts=TEXT_FIELDS,
            conjunction_by_default=True,
        )
        hits = searcher.search(query, limit=100).hits
        results.append([searcher.doc(address)["page_id"][0] for _score, address in hits])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
