// What the bench's two charts (results.svg, capacity.svg) share: escaping and the page around
// their panels.

/** Text safe inside SVG markup. */
export const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const STYLE = '.t{font-size:14px;font-weight:600}.l{font-size:12px;fill:#333}.v{font-size:12px;fill:#111}'

/** A white page `width` × `height` with `header` on top, then the panels' markup. */
export function svgPage({ width, height, header, parts, style = '' }) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>${STYLE}${style}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="26" font-size="15" font-weight="700">${esc(header)}</text>
${parts.join('\n')}
</svg>
`
}
