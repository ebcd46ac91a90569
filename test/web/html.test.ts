import { escapeHtml, html, trusted } from '../../src/web/html';

describe('the html template', () => {
  it('escapes every interpolated string, in content and in attributes alike', () => {
    const text = `<img src=x onerror="alert('x')"> & more`;

    const out = html`<p title="${text}">${text}</p>`.text;

    expect(out).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; more">' +
        '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; more</p>',
    );
  });

  it('keeps nested templates and trusted markup as they are, and escapes inside them', () => {
    const inner = html`<b>${'<i>'}</b>`;

    expect(html`<p>${inner}${trusted('<br>')}</p>`.text).toBe('<p><b>&lt;i&gt;</b><br></p>');
  });

  it('renders lists in order, and nothing for absent values and false', () => {
    const items = ['a', '<b>'].map((item) => html`<li>${item}</li>`);

    // Under another name, so that Prettier leaves the template's white space as written.
    const exact = html;

    expect(exact`<ul>${items}</ul>${undefined}${null}${false}${0}`.text).toBe(
      '<ul><li>a</li><li>&lt;b&gt;</li></ul>0',
    );
  });

  it('escapes the five characters that matter and leaves the rest', () => {
    expect(escapeHtml(`&<>"' é/=\``)).toBe('&amp;&lt;&gt;&quot;&#39; é/=`');
  });
});
