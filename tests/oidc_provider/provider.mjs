// A real OpenID provider for the portal's single sign-on tests: the npm
// package oidc-provider (OpenID Certified), on loopback, with a sign-in form
// that checks each account's password and a consent given on the person's
// behalf, as a company's provider does for its own applications.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port": 0, "client": {"id", "secret", "redirect_uri"},
//          "accounts": [{"sub", "login", "password", "email", "given_name", "family_name", "groups": []}]}
// Prints "listening on <issuer>" when ready. POST /_control/groups {"sub", "groups"}
// changes a person's groups, as an IT department does between two sign-ins.
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.sub, account]));

const server = http.createServer();
await new Promise((resolve) => server.listen(config.port || 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client.id,
    client_secret: config.client.secret,
    redirect_uris: [config.client.redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'given_name', 'family_name', 'name'],
    groups: ['groups'],
  },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: true,
          preferred_username: account.login,
          given_name: account.given_name,
          family_name: account.family_name,
          name: `${account.given_name} ${account.family_name}`,
          groups: account.groups,
        };
      },
    };
  },
});
const providerHandler = provider.callback();

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signInForm(res, uid, problem) {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>
${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>User name <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = new URLSearchParams(await body(req));
    const account = [...accounts.values()].find((a) => a.login === form.get('login'));
    if (!account || account.password !== form.get('password')) {
      res.statusCode = 401;
      return signInForm(res, uid, 'Wrong user name or password.');
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'login') return signInForm(res, uid);
  // Consent: the company has approved the portal for its people.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function control(req, res) {
  const change = JSON.parse(await body(req));
  const account = accounts.get(change.sub);
  if (!account) {
    res.statusCode = 404;
    return res.end('no such account');
  }
  account.groups = change.groups;
  res.setHeader('Content-Type', 'application/json');
  return res.end(JSON.stringify(account.groups));
}

server.on('request', async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) return await interaction(req, res);
    if (req.url === '/_control/groups' && req.method === 'POST') return await control(req, res);
    return providerHandler(req, res);
  } catch (error) {
    console.error(error);
    res.statusCode = 500;
    return res.end(`provider error: ${error.message}`);
  }
});

console.log(`listening on ${issuer}`);
