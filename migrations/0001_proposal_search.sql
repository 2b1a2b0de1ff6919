-- Full-text index of proposals. The body is folded by the app (lower case, diacritics
-- removed, ł→l) because FTS5's remove_diacritics does not fold ł; the query is folded the same way.
CREATE VIRTUAL TABLE `proposal_search` USING fts5(
  `body`,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);
