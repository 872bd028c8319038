/// The OpenAPI 3.1 description of the client API, served at /openapi.json.
enum OpenAPIDocument {
    static let json = """
        {
          "openapi": "3.1.0",
          "info": {"title": "avcluster client API", "version": "1",
                   "description": "Open, list, join, resume and close live channels. Served by avserver web and by the CSM. Every error is JSON: {\\"error\\": {\\"message\\": \\"...\\"}}."},
          "paths": {
            "/api/channels": {
              "get": {"summary": "Live channels", "responses": {"200": {"description": "The live channels", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/ChannelSummary"}}}}}}},
              "post": {"summary": "Open a channel", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenChannelRequest"}}}},
                       "responses": {"200": {"description": "The new channel, where to send, and its secret", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenChannelResponse"}}}},
                                     "400": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}
            },
            "/api/channels/{channel}/join": {
              "post": {"summary": "Join a channel as a viewer", "parameters": [{"$ref": "#/components/parameters/Channel"}],
                       "responses": {"200": {"description": "A unit and a viewer ticket", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JoinChannelResponse"}}}},
                                     "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}
            },
            "/api/channels/{channel}/broadcaster": {
              "post": {"summary": "Resume broadcasting (after a restart or a unit failure)", "parameters": [{"$ref": "#/components/parameters/Channel"}],
                       "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Secret"}}}},
                       "responses": {"200": {"description": "The channel's root unit and a broadcaster ticket", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenChannelResponse"}}}},
                                     "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/api/channels/{channel}/close": {
              "post": {"summary": "Close a channel", "parameters": [{"$ref": "#/components/parameters/Channel"}],
                       "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Secret"}}}},
                       "responses": {"204": {"description": "Closed"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            }
          },
          "components": {
            "parameters": {"Channel": {"name": "channel", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}},
            "responses": {"Error": {"description": "What went wrong and what to do", "content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "object", "properties": {"message": {"type": "string"}}}}}}}}},
            "schemas": {
              "ChannelSummary": {"type": "object", "required": ["channel", "title", "broadcasterName", "viewers", "startedAtMilliseconds"],
                "properties": {"channel": {"type": "integer"}, "title": {"type": "string"}, "broadcasterName": {"type": "string"}, "viewers": {"type": "integer"}, "startedAtMilliseconds": {"type": "integer"}}},
              "OpenChannelRequest": {"type": "object", "required": ["title", "broadcasterName"],
                "properties": {"title": {"type": "string", "maxLength": 120, "description": "Control characters are removed"}, "broadcasterName": {"type": "string", "maxLength": 60}}},
              "UnitAddress": {"type": "object", "properties": {"unit": {"type": "integer"}, "host": {"type": "string"}, "sessionPort": {"type": "integer"}, "mediaPort": {"type": "integer"}}},
              "OpenChannelResponse": {"type": "object", "properties": {"channel": {"type": "integer"}, "unit": {"$ref": "#/components/schemas/UnitAddress"}, "ticket": {"type": "string"}, "secret": {"type": "string"}}},
              "JoinChannelResponse": {"type": "object", "properties": {"channel": {"type": "integer"}, "unit": {"$ref": "#/components/schemas/UnitAddress"}, "ticket": {"type": "string"}}},
              "Secret": {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}}
            }
          }
        }
        """
}
