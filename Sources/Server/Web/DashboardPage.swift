/// The admin dashboard after the paper's fig. 3: units on the left, each with its address, state
/// and CSM link and a grid of its groups coloured by state; channels on the right (number,
/// viewers, max viewers, groups) with buttons; selecting a channel makes its groups blink; the
/// tail of the event log below. Live over server-sent events, no reloads.
enum DashboardPage {
    static let html = HTML.page(title: "avcluster: admin dashboard", body: """
        <style>
        #layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5em}
        .unit{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:.6em .8em;margin-bottom:1em}
        .unit h3{margin:.1em 0 .3em 0;font-size:1em}.unit .meta{font-size:.85em;color:#52606d;margin-bottom:.4em}
        .grid{display:grid;grid-template-columns:repeat(25,14px);gap:2px}
        .cell{width:14px;height:14px;border-radius:2px}
        .cell.free{background:#e3e6ea}.cell.assigned{background:#9cc3e6}.cell.viewers{background:#43a047}.cell.broadcaster{background:#e53935}
        .cell.blink{animation:blink .8s step-end infinite;outline:2px solid #1c2430}
        @keyframes blink{50%{opacity:.15}}
        #channels tr.channel{cursor:pointer}#channels tr.selected{background:#fff6d6}
        .legend span{display:inline-block;width:12px;height:12px;margin:0 .3em 0 1em;vertical-align:middle;border-radius:2px}
        #log{font-size:.85em}#state{font-size:.9em;color:#52606d}
        </style>
        <h1>Admin dashboard</h1>
        <p id="state">connecting&hellip;</p>
        <p class="legend">groups:<span class="cell free"></span>free<span class="cell assigned"></span>assigned
        <span class="cell broadcaster"></span>broadcaster here<span class="cell viewers"></span>viewers here</p>
        <div id="layout"><section><h2>Units</h2><div id="units"></div></section>
        <section><h2>Channels</h2><table id="channels"><thead><tr><th>#</th><th>title</th><th>viewers</th><th>max</th><th>groups</th><th></th></tr></thead><tbody></tbody></table>
        <h2>Stream keys</h2><table id="stream-keys"><thead><tr><th>id</th><th>title</th><th>made</th><th></th></tr></thead><tbody></tbody></table>
        <h2>Event log</h2><table id="log"><tbody></tbody></table></section></div>
        """, script: script)

    static let script = """
        const token = new URLSearchParams(location.search).get('token') || '';
        let snapshot = null, selected = null;
        const esc = s => String(s).replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
        const events = new EventSource('/admin/events?token=' + encodeURIComponent(token));
        events.onmessage = e => { snapshot = JSON.parse(e.data); render(); };
        events.onerror = () => { document.getElementById('state').textContent = 'lost the live stream; retrying…'; };
        async function loadKeys() {
          const response = await fetch('/admin/stream-keys', {headers: {'Authorization': 'Bearer ' + token}});
          if (!response.ok) return;
          const keys = await response.json();
          document.querySelector('#stream-keys tbody').innerHTML = keys.map(k => '<tr><td>' + k.id + '</td><td>' + esc(k.title) + '</td><td>'
            + new Date(k.madeAtMilliseconds).toLocaleString() + '</td><td>' + (k.revokedAtMilliseconds ? 'revoked'
            : '<button class="revoke" data-key="' + k.id + '">revoke</button>') + '</td></tr>').join('');
          for (const button of document.querySelectorAll('#stream-keys button.revoke')) {
            button.onclick = async () => { await act('POST', '/admin/stream-keys/' + button.dataset.key + '/revoke'); loadKeys(); };
          }
        }
        loadKeys();
        setInterval(loadKeys, 10000);
        async function act(method, path, body) {
          const response = await fetch(path, {method, headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
            body: body ? JSON.stringify(body) : undefined});
          if (!response.ok) { const text = await response.text(); alert(text); }
        }
        function select(channel) { selected = selected === channel ? null : channel; render(); }
        function render() {
          if (!snapshot) return;
          const view = snapshot.view;
          document.getElementById('state').textContent = snapshot.error ? snapshot.error
            : 'cluster manager ' + (snapshot.csm || '?') + ', epoch ' + (view ? view.epoch : '?') + '; updated ' + new Date().toLocaleTimeString();
          if (!view) return;
          document.getElementById('units').innerHTML = view.units.map(unit => {
            const byId = {}; unit.groups.forEach(g => byId[g.group] = g);
            let cells = '';
            for (let id = 1; id <= unit.groupsPerUnit; id++) {
              const g = byId[id];
              const kind = !g ? 'free' : g.broadcasterHere ? 'broadcaster' : g.viewers > 0 ? 'viewers' : 'assigned';
              const blink = g && selected === g.channel ? ' blink' : '';
              const tip = g ? 'group ' + id + ': channel ' + g.channel + ', ' + g.viewers + ' viewers' : 'group ' + id + ': free';
              cells += '<div class="cell ' + kind + blink + '" data-group="' + id + '"' + (g ? ' data-channel="' + g.channel + '"' : '') + ' title="' + tip + '"></div>';
            }
            const draining = unit.state === 'draining';
            return '<div class="unit" data-unit="' + unit.unit + '"><h3>unit ' + unit.unit + ' &middot; ' + esc(unit.address.host) + ':' + unit.address.sessionPort
              + ' (media ' + unit.address.mediaPort + ')</h3><div class="meta">state <b class="unit-state">' + esc(unit.state) + '</b> &middot; CSM link '
              + (unit.state === 'unreachable' ? 'down' : 'up') + ' &middot; ' + unit.viewers + ' viewers &middot; ' + Math.round(unit.bytesPerSecond * 8 / 1000)
              + ' kbit/s &middot; <button onclick="act(\\'POST\\', \\'/admin/units/' + unit.unit + '/drain\\', {on: ' + !draining + '})">'
              + (draining ? 'undrain' : 'drain') + '</button></div><div class="grid">' + cells + '</div></div>';
          }).join('');
          document.querySelector('#channels tbody').innerHTML = view.channels.map(c =>
            '<tr class="channel' + (selected === c.channel ? ' selected' : '') + '" data-channel="' + c.channel + '" onclick="select(' + c.channel + ')">'
            + '<td>' + c.channel + '</td><td>' + esc(c.title) + (c.publisher ? '<div class="meta publisher">' + esc(c.publisher.ingest.toUpperCase() + ' ' + c.publisher.videoCodec
              + '/' + c.publisher.audioCodec + ', ' + c.publisher.kilobitsPerSecond + ' kbit/s, ' + c.publisher.framesPerSecond + ' fps, ' + c.publisher.dropped + ' dropped') + '</div>' : '')
            + '</td><td>' + c.viewers + '</td><td>' + c.maxViewers + '</td><td>' + c.groupCount + '</td><td>'
            + ['expand', 'shrink', 'close'].map(a => '<button onclick="event.stopPropagation(); act(\\'POST\\', \\'/admin/channels/' + c.channel + '/' + a + '\\')">' + a + '</button>').join(' ')
            + '</td></tr>').join('');
          document.querySelector('#log tbody').innerHTML = snapshot.log.map(entry =>
            '<tr><td>' + new Date(entry.timeMilliseconds).toLocaleTimeString() + '</td><td>' + esc(entry.kind) + '</td><td>' + esc(entry.details) + '</td></tr>').join('');
        }
        """
}
