// The few HTML pages every example serves, so that each server.js shows only the wiring.
//
// The account page prints the session the way polar-session prints it: `session.toJSON()`,
// where the token, the portal URL and the email are redacted. The real token and portal URL
// never appear in a page: the browser only reaches the portal through the app's /portal route.

import { DEMO_USERS } from './demo-users.js'

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

function layout(framework, title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · polar-session ${escapeHtml(framework)} example</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #ddd; margin-bottom: 1.5rem; }
  pre { background: #f5f5f7; padding: 1rem; overflow-x: auto; border-radius: 6px; }
  button, .button { font: inherit; padding: .4rem .9rem; margin: 0 .4rem .4rem 0; border: 1px solid #0062ff; border-radius: 6px; background: #fff; color: #0062ff; cursor: pointer; text-decoration: none; display: inline-block; }
  .primary { background: #0062ff; color: #fff; }
  form { display: inline; }
  .muted { color: #6e6e73; font-size: .9rem; }
</style>
</head>
<body>
<header><strong>polar-session · ${escapeHtml(framework)}</strong><a href="/">Home</a></header>
${body}
</body>
</html>
`
}

const signOutForm = '<form method="post" action="/sign-out"><button type="submit">Sign out</button></form>'

/** `/`: who is signed in, or the fake sign-in form. */
export function homePage({ framework, user }) {
  if (user) {
    return layout(
      framework,
      'Home',
      `
<h1>Hello, ${escapeHtml(user.name)}</h1>
<p>You are signed in as <strong>${escapeHtml(user.fullName)}</strong> (<code>${escapeHtml(user.id)}</code>).</p>
<p><a class="button primary" href="/account">Your account</a> <a class="button" href="/portal">Manage billing</a> ${signOutForm}</p>`,
    )
  }
  const buttons = DEMO_USERS.map(
    (u) => `<button type="submit" name="user" value="${escapeHtml(u.id)}">Sign in as ${escapeHtml(u.name)}</button>`,
  ).join('\n  ')
  return layout(
    framework,
    'Sign in',
    `
<h1>Sign in</h1>
<p>A pretend sign-in: pick a demo user. The app then asks Polar for that user's customer session.</p>
<form method="post" action="/sign-in">
  ${buttons}
</form>
<p class="muted">Each demo user is a Polar customer whose external id is the app's user id (<code>usr_jane</code>, …).</p>`,
  )
}

/** `/account`: the signed-in user's Polar session, redacted, and the way to the portal. */
export function accountPage({ framework, user, session }) {
  return layout(
    framework,
    'Account',
    `
<h1>Your account</h1>
<p>Signed in as <strong>${escapeHtml(user.fullName)}</strong> (<code>${escapeHtml(user.id)}</code>).</p>
<h2>Polar customer session</h2>
<p>Polar customer <code id="session-customer-id">${escapeHtml(session.customerId)}</code>,
session valid until <time id="session-expires-at" datetime="${escapeHtml(session.expiresAt.toISOString())}">${escapeHtml(session.expiresAt.toISOString())}</time>.</p>
<p class="muted">As polar-session prints it: the token, the portal URL and the email are redacted.</p>
<pre id="session-json">${escapeHtml(JSON.stringify(session, null, 2))}</pre>
<p><a class="button primary" id="manage-billing" href="/portal">Manage billing</a> ${signOutForm}</p>`,
  )
}

/** `/stats`: `polar.stats()` as JSON. Numbers only: it holds no token, URL, email or user id. */
export function statsPage({ framework, stats }) {
  return layout(
    framework,
    'Stats',
    `
<h1>polar-session stats</h1>
<p class="muted">What <code>polar.stats()</code> returns: counts since the app started. The same
numbers go to OpenTelemetry when the app sets it up.</p>
<pre id="stats-json">${escapeHtml(JSON.stringify(stats, null, 2))}</pre>`,
  )
}

/**
 * An error page: the status and, when the error is exposable (4xx), its message; polar-session's
 * messages never hold a secret. Returns `{ status, headers, html }`; `headers` includes the
 * error's own (`Retry-After`, `WWW-Authenticate`).
 */
export function errorPage({ framework, error }) {
  const status = typeof error?.status === 'number' ? error.status : 500
  const known = typeof error?.code === 'string'
  const message = error?.expose === true ? error.message : 'Something went wrong; please try again later.'
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...(known ? error.headers : {}),
  }
  const html = layout(
    framework,
    `Error ${status}`,
    `
<h1>${status === 401 ? 'Please sign in' : `Error ${status}`}</h1>
<p id="error-message">${escapeHtml(message)}</p>
${known ? `<p class="muted">polar-session error code: <code id="error-code">${escapeHtml(error.code)}</code></p>` : ''}
<p><a class="button" href="/">Back home</a></p>`,
  )
  return { status, headers, html }
}
