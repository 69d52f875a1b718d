// sellercare's GraphiQL: strawberry's own page (strawberry/static/graphiql.html) with local assets,
// a default query that logs in and a placeholder in the Headers pane. Its fetcher sends queries
// and mutations over HTTP to this page's URL and subscriptions over a websocket to the same URL
// (graphql-transport-ws); the Headers pane goes with both (on the websocket, as connection_init's
// payload, where the API reads "Authorization").
(function () {
  "use strict";

  var DEFAULT_QUERY = `# Welcome to sellercare's GraphiQL
#
# 1. Log in: run the Login mutation below (Ctrl-Enter, or the play button).
#    \`make run\` creates the demo tenant "demo" with admin@demo.test, password
#    "demo" (or SELLERCARE_DEMO_PASSWORD).
#
# 2. Copy the accessToken it answers into the Headers pane (below this editor),
#    in place of <accessToken>:
#
#        {"Authorization": "Bearer <accessToken>"}
#
#    Every operation then runs as that user, subscriptions too. The token expires
#    at expiresAt: run refreshToken(input: {refreshToken: "..."}) or log in again.
#
# 3. Run Viewer to see who you are and what you may do.
#
# Ctrl-Space completes, the Docs button (top left) browses the schema.

mutation Login {
  login(input: {email: "admin@demo.test", password: "demo", tenant: "demo"}) {
    accessToken
    refreshToken
    expiresAt
    errors {
      code
      message
      field
    }
  }
}

query Viewer {
  viewer {
    user {
      email
    }
    permissions
  }
}
`;

  var DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <accessToken>"\n}';

  // URL parameters (q, variables, headers) share a query, as on strawberry's page.
  var parameters = {};
  window.location.search.slice(1).split("&").forEach(function (entry) {
    var eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
    }
  });

  function updateURL(data) {
    Object.assign(parameters, data);
    var search = "?" + Object.keys(parameters)
      .filter(function (key) { return Boolean(parameters[key]); })
      .map(function (key) { return encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]); })
      .join("&");
    history.replaceState(null, "", search);
  }

  var fetchURL = window.location.href.split("?")[0].split("#")[0];

  function webSocketURL(url) {
    var parsed = new URL(url);
    parsed.protocol = parsed.protocol === "http:" ? "ws:" : "wss:";
    parsed.hash = "";
    return parsed.toString();
  }

  var fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: webSocketURL(fetchURL),
  });

  function SellercareGraphiQL() {
    var query = React.useState(parameters.q);
    var variables = React.useState(parameters.variables);
    var headers = React.useState(parameters.headers);
    var explorer = React.useMemo(function () { return GraphiQLPluginExplorer.explorerPlugin(); }, []);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      // First visit: the login example and the header placeholder; later visits: the last tabs
      // (GraphiQL keeps them, the headers too, in this browser's localStorage).
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      query: query[0],
      variables: variables[0],
      headers: headers[0],
      onEditQuery: function (value) { query[1](value); updateURL({ q: value }); },
      onEditVariables: function (value) { variables[1](value); updateURL({ variables: value }); },
      onEditHeaders: function (value) { headers[1](value); },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(SellercareGraphiQL));
})();
