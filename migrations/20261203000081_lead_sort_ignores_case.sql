-- The lead table sorts names and companies ignoring case ("bob" between "Alice" and "Carol",
-- not after "Zoë"): the sort indexes hold the lower-cased values. The columns compare
-- byte-wise (`COLLATE "C"`, see the previous migration), so `lower` folds A–Z only and letters
-- outside ASCII still sort after z, as before.
DROP INDEX leads_campaign_first_name_idx;
DROP INDEX leads_campaign_company_idx;
CREATE INDEX leads_campaign_first_name_idx ON leads (campaign_id, lower(first_name), id);
CREATE INDEX leads_campaign_company_idx ON leads (campaign_id, lower(company), id);
