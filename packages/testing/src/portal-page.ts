// A stand-in for Polar's customer portal frontend (polar.sh/{slug}/portal),
// so end-to-end tests and demos can follow the redirect a middleware issues
// and see whose portal opened. The page is deliberately tiny and stable: tests
// read #customer-email, #customer-id and the Back link (#return-link).
// The URL carries a credential, so the page forbids caching and referrers.

import { html } from './answers.js'
import type { Answer } from './answers.js'
import type { FakeOrganization } from './state.js'
import { formatMicros } from './clock.js'

const PAGE_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`
}

export function portalPage(org: FakeOrganization, slug: string, query: URLSearchParams): Answer {
  if (slug !== org.slug) {
    return html(
      404,
      page('Not found', '<h1>Not found</h1>\n<p id="error">No organization with this slug.</p>'),
      PAGE_HEADERS,
    )
  }
  const token = query.get('customer_session_token') ?? ''
  const found = token === '' ? null : org.validSession(token)
  if (!found) {
    return html(
      401,
      page('Customer portal', '<h1>Customer portal</h1>\n<p id="error">This link is invalid or has expired.</p>'),
      PAGE_HEADERS,
    )
  }
  const { session, customer, member } = found
  const lines = [
    '<h1>Customer portal</h1>',
    `<p id="organization">${escapeHtml(org.slug)}</p>`,
    `<p id="customer-name">${escapeHtml(customer.name ?? '')}</p>`,
    `<p id="customer-email">${escapeHtml(customer.email ?? '')}</p>`,
    `<p id="customer-id">${escapeHtml(customer.id)}</p>`,
  ]
  if (member) {
    lines.push(`<p id="member-id">${escapeHtml(member.id)}</p>`)
    lines.push(`<p id="member-email">${escapeHtml(member.email ?? '')}</p>`)
  }
  lines.push(`<p id="expires-at">${formatMicros(session.expiresAtUs)}</p>`)
  if (session.returnUrl !== null) {
    lines.push(`<a id="return-link" href="${escapeHtml(session.returnUrl)}">Back</a>`)
  }
  return html(200, page('Customer portal', lines.join('\n')), PAGE_HEADERS)
}
