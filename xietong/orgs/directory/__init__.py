"""Directory sync: departments and people from LDAP, WeCom, DingTalk or Feishu."""
