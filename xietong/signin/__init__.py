"""Company sign-in (docs/sign-in.md): django-allauth's flows beside the local login form.

``config`` reads the environment into allauth's ``SOCIALACCOUNT_PROVIDERS``;
``adapters`` decides who a company sign-in is (a linked account, the invited
person, the person with the provider's verified e-mail, or a new person with
its source); ``provider`` registers the DingTalk and Feishu providers with
configurable hosts and the WeCom provider; ``views`` is the login page;
``middleware`` sends staff without a second factor to set one up.
"""
