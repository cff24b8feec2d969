-- @act/connector-ghl: GHL contacts in the cross-source identity map of
-- @act/sink-supabase (0013_act_identity): each contact's email (trimmed,
-- lower-cased by the transformer) and phone (E.164) go to act_identities in
-- the transaction that writes the row, so a Xero contact or a Gmail sender
-- with the same email is linked to it (act_identity_links,
-- act_identity_matches). A tombstoned contact has no identities.
select act_identity_register(
  'ghl_contacts', 'ghl', 'contact', 'location_id', 'id',
  p_email_columns => array['email']::name[],
  p_phone_columns => array['phone']::name[]
);
