// What the watch and broadcast pages share: the message line and the chat (list and input), set
// as text (names and lines come from strangers).

import { encodeMessage, messages } from '/static/avmedia.js';

export const $ = (id) => document.getElementById(id);

/// Shows `text` in the page's message line; an error is also kept in `state.error` for tests.
export function say(state, text, kind = 'notice') {
  $('message').textContent = text;
  $('message').className = kind;
  if (kind === 'error') state.error = text;
}

/// Sends what is typed in the chat form as `from()`'s line, while `socket()` is open.
export function sendChatFrom(from, socket) {
  $('chat-form').onsubmit = (event) => {
    event.preventDefault();
    const text = $('chat-input').value.trim();
    const ws = socket();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodeMessage(messages.chat(from(), text)));
    $('chat-input').value = '';
  };
}

/// Appends a chat line to the list and to `state.chat`.
/// `broadcaster`: the unit marked the line as the channel's broadcaster's.
export function addChat(state, from, text, broadcaster = false) {
  state.chat.push({ from, text, broadcaster });
  const line = document.createElement('li');
  const who = document.createElement('span');
  who.className = broadcaster ? 'from broadcaster' : 'from';
  who.textContent = broadcaster ? `${from} · broadcaster` : from;
  line.append(who, document.createTextNode(text));
  $('chat').append(line);
  $('chat').scrollTop = $('chat').scrollHeight;
}
