/**
 * Published full-ranking figures on the same dataset files, shown next to Aisle's rows in the
 * evaluation report. Each entry names its source; none is measured here.
 */

/** One published result: HR@10 (or Recall@10, the same for one target) and NDCG@10. */
export interface PublishedRow {
  model: string;
  source: string;
  'HR@10': number;
  'NDCG@10': number;
}

/** Published rows by dataset directory name. */
export const PUBLISHED: Readonly<Record<string, readonly PublishedRow[]>> = {
  'amazon-beauty': [
    { model: 'popularity', source: "S3-Rec authors' full-ranking table", 'HR@10': 0.0152, 'NDCG@10': 0.0068 },
    { model: 'GRU4Rec', source: "S3-Rec authors' full-ranking table", 'HR@10': 0.0283, 'NDCG@10': 0.0137 },
    { model: 'BERT4Rec', source: "S3-Rec authors' full-ranking table", 'HR@10': 0.0347, 'NDCG@10': 0.017 },
    { model: 'SASRec', source: "S3-Rec authors' full-ranking table", 'HR@10': 0.0605, 'NDCG@10': 0.0318 },
    { model: 'S3-Rec', source: "S3-Rec authors' full-ranking table", 'HR@10': 0.0647, 'NDCG@10': 0.0327 },
    { model: 'SASRec, sampled softmax', source: 'eSASRec benchmark, recomputed', 'HR@10': 0.0921, 'NDCG@10': 0.0531 },
  ],
  'amazon-scientific': [{ model: 'VQ-Rec', source: 'VQ-Rec authors, Recall@10', 'HR@10': 0.1211, 'NDCG@10': 0.0643 }],
};

/** Targets of the served pipeline (`student-int8`) by dataset directory name. */
export const TARGETS: Readonly<Record<string, { 'HR@10': number; 'NDCG@10': number }>> = {
  'amazon-beauty': { 'HR@10': 0.092, 'NDCG@10': 0.053 },
  'amazon-scientific': { 'HR@10': 0.1211, 'NDCG@10': 0.0713 },
};
