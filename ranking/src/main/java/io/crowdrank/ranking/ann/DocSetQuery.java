package io.crowdrank.ranking.ann;

import java.io.IOException;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.ConstantScoreScorer;
import org.apache.lucene.search.ConstantScoreWeight;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.FixedBitSet;

/**
 * A filter over the single segment of an {@link ItemIndex}: the documents of a precomputed bit set.
 * Lucene's filtered vector search takes the set as it is (a {@link BitSetIterator} over a segment
 * without deletions), so a host-app filter costs nothing per query, where a term query would be
 * walked over every matching document — a million at full catalog size — on each search.
 */
final class DocSetQuery extends Query {
  private final String name;
  private final FixedBitSet docs;
  private final int cardinality;

  DocSetQuery(String name, FixedBitSet docs) {
    this.name = name;
    this.docs = docs;
    this.cardinality = docs.cardinality();
  }

  int cardinality() {
    return cardinality;
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
    return new ConstantScoreWeight(this, boost) {
      @Override
      public Scorer scorer(LeafReaderContext context) throws IOException {
        if (context.ord != 0 || context.reader().maxDoc() != docs.length()) {
          throw new IllegalStateException("DocSetQuery serves a single-segment index only");
        }
        return new ConstantScoreScorer(
            this, score(), scoreMode, new BitSetIterator(docs, cardinality));
      }

      @Override
      public boolean isCacheable(LeafReaderContext ctx) {
        return false; // already a bit set
      }
    };
  }

  @Override
  public void visit(QueryVisitor visitor) {
    visitor.visitLeaf(this);
  }

  @Override
  public String toString(String field) {
    return "DocSet(" + name + ", " + cardinality + " docs)";
  }

  @Override
  public boolean equals(Object o) {
    return o == this;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
