-- @act/connector-xero: Xero contacts in the cross-source identity map of
-- @act/sink-supabase (0013_act_identity): each contact's email (trimmed,
-- lower-cased by the transformer) goes to act_identities in the transaction
-- that writes the row, so a GHL contact with the same email is linked to it
-- (act_identity_links, act_identity_matches).
--
-- Only contacts in use have identities: not ARCHIVED ones and not ones under
-- a GDPRREQUEST (ContactStatus in the Accounting API specification,
-- https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml).
-- An archived duplicate that kept its email would otherwise turn the live
-- contact's link into a conflict, and a person who asked to be forgotten
-- would still be matched.
--
-- Phones are not registered: Xero keeps them in parts (country, area,
-- number) in the phones jsonb, not in E.164.
select act_identity_register(
  'xero_contacts', 'xero', 'contact', 'tenant_id', 'id',
  p_email_columns => array['email']::name[],
  p_row_filter => $$contact_status is distinct from 'ARCHIVED' and contact_status is distinct from 'GDPRREQUEST'$$
);
