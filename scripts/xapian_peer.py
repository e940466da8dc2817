"""Xapian as a ranking peer for `paperdex eval --peer xapian`.

Reads the records paperdex exported (JSON lines: {"id", "text": [field values]}) and the
queries (TOPIC_ID<TAB>WORDS, the protocol's words separated by spaces), indexes the
records in memory with Xapian's English stemmer, runs each query with OR between its
words and Xapian's default BM25 weighting, and prints TOPIC_ID<TAB>RECORD_ID<TAB>WEIGHT
lines, best first, at most DEPTH per topic.

    python3 scripts/xapian_peer.py RECORDS.jsonl QUERIES.tsv DEPTH

Needs Debian's python3-xapian (exit status 3 and a message when it is not installed).
"""

import json
import os
import sys

try:
    import xapian
except ImportError:
    sys.stderr.write("python3-xapian is not installed\n")
    sys.exit(3)


def main():
    records_path, queries_path, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    stemmer = xapian.Stem("english")
    generator = xapian.TermGenerator()
    generator.set_stemmer(stemmer)
    ids = []
    with open(records_path, encoding="utf-8") as records:
        for line in records:
            record = json.loads(line)
            doc = xapian.Document()
            generator.set_document(doc)
            for value in record["text"]:
                generator.index_text(value)
                generator.increase_termpos()
            ids.append(record["id"])
            doc.set_data(str(len(ids) - 1))
            db.add_document(doc)
    parser = xapian.QueryParser()
    parser.set_stemmer(stemmer)
    parser.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    op = xapian.Query.OP_AND if os.environ.get("PAPERDEX_XAPIAN_OP") == "and" else xapian.Query.OP_OR
    parser.set_default_op(op)
    parser.set_database(db)
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BM25Weight())
    out = sys.stdout
    with open(queries_path, encoding="utf-8") as queries:
        for line in queries:
            topic, _, words = line.rstrip("\n").partition("\t")
            if not words.strip():
                continue
            enquire.set_query(parser.parse_query(words))
            for match in enquire.get_mset(0, depth):
                out.write(f"{topic}\t{ids[int(match.document.get_data())]}\t{match.weight}\n")


if __name__ == "__main__":
    main()
