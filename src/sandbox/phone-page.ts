import { PHONE_SCRIPT } from './phone-script.ts';

const STYLE = String.raw`
*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,sans-serif;background:#d9dbd5;color:#111b21}
header{background:#075e54;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0;flex:1}main{display:grid;grid-template-columns:16rem 1fr 17rem;height:calc(100vh - 3rem)}
aside,section{overflow:auto;padding:.6rem}aside{background:#f0f2f5}fieldset{border:1px solid #c8cdd0;margin:0 0 .8rem}
label{display:block;font-size:.85rem;margin:.3rem 0}input,select,button{font:inherit}input,select{width:100%;padding:.25rem}
button{cursor:pointer;border:1px solid #00a884;background:#fff;color:#005c4b;border-radius:.4rem;padding:.2rem .6rem;margin:.15rem 0}
button:focus-visible,input:focus-visible{outline:3px solid #53bdeb}#users button{display:block;width:100%;text-align:left}
#users button[aria-current=true]{background:#d1f4cc}#chat{display:flex;flex-direction:column;background:#efeae2;padding:0}
#log{flex:1;overflow:auto;padding:1rem;display:flex;flex-direction:column;gap:.35rem}#typing{min-height:1.2rem;padding:0 1rem;font-style:italic}
.msg{max-width:70%;padding:.35rem .6rem;border-radius:.5rem;background:#fff;box-shadow:0 1px 1px #0002;white-space:pre-wrap;word-break:break-word}
.in{align-self:flex-end;background:#d9fdd3}.out{align-self:flex-start}.meta{font-size:.72rem;color:#667781;text-align:right}
.tick-read{color:#53bdeb}.tick-failed{color:#d92d20;font-weight:bold}.choices{display:flex;flex-direction:column;gap:.2rem;margin-top:.3rem}
.choices button{width:100%}.quote{border-left:3px solid #06cf9c;padding-left:.4rem;font-size:.8rem;color:#667781}
.reaction{font-size:.9rem}img.media{max-width:12rem;display:block}form#composer{display:flex;gap:.4rem;padding:.5rem;background:#f0f2f5}
form#composer input[type=text]{flex:1}#faults li{font-size:.8rem}.sr{position:absolute;left:-9999px}
`;

/**
 * The simulated phone (`GET <sandbox base>/`): plain HTML, CSS and JS, no framework. A person picks or
 * creates a simulated user, chats with the business, taps buttons and list rows, watches statuses
 * tick live (Server-Sent Events from the control API), jumps the clock and injects faults.
 */
export function phonePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passerelle sandbox phone</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Passerelle sandbox — simulated WhatsApp phone</h1>
  <span>Business <strong id="business">…</strong></span>
  <span>Sandbox time <time id="clock">…</time></span>
</header>
<main>
  <aside aria-label="Simulated users">
    <h2>Users</h2>
    <nav id="users" aria-label="Pick a user"></nav>
    <form id="new-user">
      <fieldset>
        <legend>New user</legend>
        <label for="nu-name">Profile name</label><input id="nu-name" required autocomplete="off">
        <label for="nu-number">Phone number (digits)</label><input id="nu-number" inputmode="tel" placeholder="33612345678">
        <label><input type="checkbox" id="nu-bsuid" style="width:auto"> Has a BSUID</label>
        <label for="nu-username">Username (optional)</label><input id="nu-username" placeholder="@name">
        <button type="submit">Create user</button>
      </fieldset>
    </form>
  </aside>
  <section id="chat" aria-label="Conversation">
    <div id="log" role="log" aria-live="polite" aria-label="Messages"></div>
    <div id="typing" aria-live="polite"></div>
    <form id="composer" aria-label="Send a message">
      <label class="sr" for="text">Message</label>
      <input id="text" type="text" placeholder="Type a message" autocomplete="off">
      <button type="submit">Send</button>
      <label class="sr" for="file">Attach a file</label>
      <input id="file" type="file" style="width:6rem" aria-label="Attach a file">
      <button type="button" id="send-location">Send location</button>
    </form>
  </section>
  <aside aria-label="Sandbox tools">
    <h2>Tools</h2>
    <fieldset><legend>Clock</legend>
      <button type="button" id="adv-1h">Advance 1 h</button>
      <button type="button" id="adv-24h">Advance clock 24 h</button>
      <p id="window" aria-live="polite"></p>
    </fieldset>
    <fieldset><legend>Reading</legend>
      <label><input type="checkbox" id="auto-read" checked style="width:auto"> Read messages when shown</label>
      <button type="button" id="read-now">Mark all read</button>
    </fieldset>
    <fieldset><legend>Faults</legend>
      <label for="fault-kind">Fault</label>
      <select id="fault-kind">
        <option value="send_error">Next sends fail with error code</option>
        <option value="send_http">Next sends get bare HTTP 502</option>
        <option value="send_hang">Next sends hang 10 s</option>
        <option value="webhook_drop">Drop next webhooks</option>
        <option value="webhook_duplicate">Duplicate next webhooks</option>
        <option value="webhook_delay">Delay next webhooks 5 s</option>
        <option value="status_reorder">Reverse status order</option>
      </select>
      <label for="fault-code">Error code</label><input id="fault-code" value="131000" inputmode="numeric">
      <label for="fault-times">Times</label><input id="fault-times" value="1" inputmode="numeric">
      <button type="button" id="fault-add">Inject fault</button>
      <button type="button" id="fault-clear">Clear faults</button>
      <ul id="faults" aria-label="Active faults"></ul>
    </fieldset>
  </aside>
</main>
<script>${PHONE_SCRIPT}</script>
</body>
</html>`;
}
