// A real OpenID Connect provider for the sign-in tests: panva's oidc-provider (certified by the
// OpenID Foundation) on 127.0.0.1, with a small login and consent page of its own (the library's
// development pages load web fonts from the internet).
//
// Environment: OIDC_PORT (0: any free port), OIDC_CLIENT (JSON: client_id, client_secret,
// redirect_uris), OIDC_ACCOUNTS (JSON: login -> {password, sub, email, email_verified, name}).
// Prints "listening <issuer>" once it accepts connections.
import http from 'node:http';
import Provider from 'oidc-provider';

const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const client = JSON.parse(process.env.OIDC_CLIENT);

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

function accountBySub(sub) {
  return Object.entries(accounts).find(([, account]) => account.sub === sub);
}

const provider = new Provider(issuer, {
  clients: [{
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true }, // a request without code_challenge is refused
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['xietong-test-only-cookie-key-0123456789'] },
  async findAccount(ctx, sub) {
    const found = accountBySub(sub);
    if (!found) return undefined;
    const [login, account] = found;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: Boolean(account.email_verified),
          name: account.name,
          preferred_username: login,
        };
      },
    };
  },
});

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>${body}</body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (prompt.name === 'login') {
      res.end(page('Company sign-in', `<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" id="login" required></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button type="submit" id="sign-in">Sign in</button></form>`));
    } else {
      res.end(page('Authorize', `<p>${escape(params.client_id)} asks for: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit" id="allow">Allow</button></form>`));
    }
    return;
  }
  const form = await readForm(req);
  if (action === 'login') {
    const account = accounts[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(page('Company sign-in', `<p id="error">Wrong login or password</p><form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" id="login" required></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button type="submit" id="sign-in">Sign in</button></form>`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  // consent: grant what the client asked for
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login|confirm))?/.exec(req.url);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    res.statusCode = 400;
    res.end(`interaction failed: ${err.message}`);
  });
});
process.stdout.write(`listening ${issuer}\n`);
