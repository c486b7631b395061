package messaging

import (
	"context"

	"smartbot/app"
	"smartbot/app/settings"
	"smartbot/app/template"
	"smartbot/store"
)

// TemplateRenderer returns the Renderer of saved templates: it finds the
// template by id or name, fills it with the shop's timezone, currency and
// locale, and turns the form its delivery style chooses into the messages
// to send. Only active templates are sent.
func TemplateRenderer(db *store.DB, shop *settings.Service, media MediaFiles) Renderer {
	return func(ctx context.Context, ref TemplateRef) (Rendered, error) {
		t, err := findTemplate(ctx, db, ref)
		if err != nil {
			return Rendered{}, err
		}
		c, err := template.Compile(t)
		if err != nil {
			return Rendered{}, err
		}
		opts, err := template.OptionsFrom(ctx, shop)
		if err != nil {
			return Rendered{}, err
		}
		r, err := c.Render(ref.Variables, opts)
		if err != nil {
			return Rendered{}, err
		}
		parts, err := partsOf(ctx, r, media)
		if err != nil {
			return Rendered{}, err
		}
		out := Rendered{TemplateID: t.ID, Version: t.Version, Parts: parts}
		for _, o := range r.Options {
			out.Options = append(out.Options, Option{ID: o.ID, Title: o.Title})
		}
		return out, nil
	}
}

func findTemplate(ctx context.Context, db *store.DB, ref TemplateRef) (app.Template, error) {
	var t app.Template
	var err error
	switch {
	case ref.ID != "":
		t, err = db.Template(ctx, ref.ID)
	case ref.Name != "":
		t, err = db.TemplateByName(ctx, ref.Name)
	default:
		return t, app.Invalid(app.FieldError{Field: "template", Message: "name a template by id or name"})
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return t, app.Invalid(app.FieldError{Field: "template", Message: "names no template"})
	}
	if err == nil && t.Status != app.TemplateActive {
		return t, app.Invalid(app.FieldError{Field: "template", Message: "is archived: restore it before sending it"})
	}
	return t, err
}

// partsOf turns a render into the messages its delivery style sends.
func partsOf(ctx context.Context, r template.Rendered, media MediaFiles) ([]app.Outgoing, error) {
	switch {
	case r.Style == app.TemplateDeliveryPoll && r.Poll != nil:
		var parts []app.Outgoing
		if r.Poll.Intro != nil {
			intro, err := fromMessage(ctx, *r.Poll.Intro, media)
			if err != nil {
				return nil, err
			}
			parts = append(parts, intro)
		}
		names := make([]string, len(r.Poll.Options))
		for i, o := range r.Poll.Options {
			names[i] = o.Title
		}
		return append(parts, app.Outgoing{Kind: app.MessageKindPoll,
			Poll: &app.OutgoingPoll{Name: r.Poll.Name, Options: names, SelectableCount: 1}}), nil
	case r.Style == app.TemplateDeliveryInteractive:
		m, err := fromMessage(ctx, r.Message, media)
		return []app.Outgoing{m}, err
	}
	// The text style: the numbered text, under the file for a media template.
	if h := r.Message.Header; h != nil && h.MediaID != "" {
		m, err := fileMessage(ctx, h.MediaID, r.Text, media)
		return []app.Outgoing{m}, err
	}
	return []app.Outgoing{{Kind: app.MessageKindText, Text: r.Text}}, nil
}

// fromMessage maps the engine's structured message onto the transport's.
func fromMessage(ctx context.Context, m template.Message, media MediaFiles) (app.Outgoing, error) {
	switch m.Type {
	case template.MessageMedia:
		return fileMessage(ctx, m.Header.MediaID, m.Text, media)
	case template.MessageButtons, template.MessageList:
		o := app.Outgoing{Kind: app.MessageKindInteractive, Interactive: &app.OutgoingInteractive{
			Header: m.Header, Body: m.Body, Footer: m.Footer, Buttons: m.Buttons, List: m.List}}
		if m.Header != nil && m.Header.MediaID != "" {
			f, err := fileMessage(ctx, m.Header.MediaID, "", media)
			if err != nil {
				return o, err
			}
			o.Media = f.Media
		}
		return o, nil
	}
	return app.Outgoing{Kind: app.MessageKindText, Text: m.Text}, nil
}

func fileMessage(ctx context.Context, id, caption string, media MediaFiles) (app.Outgoing, error) {
	if media == nil {
		return app.Outgoing{}, app.Errorf(app.EUNAVAILABLE, "media cannot be sent: no media library is configured")
	}
	rec, err := media.Media(ctx, id)
	if err != nil {
		return app.Outgoing{}, err
	}
	if rec.Status != app.MediaReady {
		return app.Outgoing{}, app.Invalid(app.FieldError{Field: "template", Message: "its header file is " + rec.Status + ", not ready"})
	}
	return app.Outgoing{Kind: app.MessageKindMedia, Text: caption, Media: &app.OutgoingMedia{
		Kind: rec.Kind, MIME: rec.MIME, MediaID: rec.ID, FileName: rec.OriginalName, Width: rec.Width, Height: rec.Height,
	}}, nil
}
