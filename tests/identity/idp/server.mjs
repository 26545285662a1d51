// The identity provider of the test suite: oidc-provider (an OpenID Certified implementation)
// with a sign-in page of its own. Tests drive it through /__test/ endpoints:
//   POST /__test/users   {"alice": {"name": ..., "groups": [...], "tid": ...}}  who may sign in
//   POST /__test/tamper  {"mode": "aud" | "iss" | "exp" | "nonce" | ""}  the next ID tokens are
//                        re-signed with that claim wrong, as a forged or stale answer would be.
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI.
import * as http from 'node:http';
import Provider from 'oidc-provider';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
let users = {};
let tamper = '';

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-only-cookie-key'] },
  claims: {
    // As Entra does, every ID token says how the person signed in (RFC 8176) and when.
    openid: ['sub', 'amr', 'auth_time'],
    profile: ['name', 'preferred_username', 'groups', 'tid'],
    email: ['email', 'email_verified'],
  },
  // The portal reads the ID token only: its claims carry the profile and the groups.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!users[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...users[id] }; } };
  },
});

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const page = (uid, error) => `<!doctype html><title>Test identity provider</title>
<h1>Sign in to the test identity provider</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" autofocus></label>
<label><input type="checkbox" name="mfa" value="1"> Also verify with my second factor</label>
<button type="submit">Sign in</button></form>`;

async function resign(idToken) {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (tamper === 'aud') claims.aud = 'another-application';
  if (tamper === 'iss') claims.iss = 'http://127.0.0.1:1/not-the-issuer';
  if (tamper === 'exp') Object.assign(claims, { iat: now - 3600, exp: now - 600 });
  if (tamper === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/users' && ctx.method === 'POST') {
    users = JSON.parse(await body(ctx.req));
    ctx.body = { ok: true };
    return;
  }
  if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
    tamper = JSON.parse(await body(ctx.req)).mode || '';
    ctx.body = { ok: true };
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) {
    await next();
    if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token) };
    }
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    if (!match[2]) {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    const form = new URLSearchParams(await body(ctx.req));
    const login = form.get('login');
    if (!users[login]) {
      ctx.type = 'html';
      ctx.body = page(details.uid, 'No such account.');
      return;
    }
    const mfa = form.get('mfa') === '1';
    result = { login: { accountId: login, amr: mfa ? ['pwd', 'mfa'] : ['pwd'] } };
  } else {
    // Consent: this provider trusts its one client; every scope asked for is granted.
    const grant = new provider.Grant({
      accountId: details.session.accountId,
      clientId: details.params.client_id,
    });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: details.prompt.name !== 'login',
  });
  ctx.status = 303;
  ctx.redirect(to);
});

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
